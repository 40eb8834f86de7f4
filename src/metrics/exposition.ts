// The two text formats a Prometheus server scrapes: the classic text format (version 0.0.4) and
// OpenMetrics 1.0, chosen from the request's Accept header as Prometheus itself negotiates.
// They differ in little: OpenMetrics names a counter family without `_total` (its samples keep
// it) and ends with `# EOF`.

import type { AnyMetric } from "./registry.ts";

export type ExpositionFormat = "prometheus" | "openmetrics";

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/**
 * The format the client prefers: the acceptable media type with the highest q, the first listed
 * on a tie. `*\/*`, text/plain and no header at all mean the classic text format.
 */
export function negotiateFormat(accept: string | null): ExpositionFormat {
  if (!accept) return "prometheus";
  let best: { format: ExpositionFormat; q: number } | null = null;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const format: ExpositionFormat | null =
      type === "application/openmetrics-text" ? "openmetrics" : type === "text/plain" || type === "*/*" || type === "text/*" ? "prometheus" : null;
    if (format && (!best || q > best.q)) best = { format, q };
  }
  return best?.format ?? "prometheus";
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(help: string, format: ExpositionFormat): string {
  const escaped = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return format === "openmetrics" ? escaped.replace(/"/g, '\\"') : escaped;
}

function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

function labelSet(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

export function expose(metrics: readonly AnyMetric[], format: ExpositionFormat): string {
  const lines: string[] = [];
  for (const metric of metrics) {
    // In the classic format a counter's family carries the sample name, _total included.
    const family = metric.type === "counter" && format === "prometheus" ? `${metric.name}_total` : metric.name;
    lines.push(`# HELP ${family} ${escapeHelp(metric.help, format)}`, `# TYPE ${family} ${metric.type}`);
    if (metric.type === "histogram") {
      const bounds = [...metric.buckets.map(formatValue), "+Inf"];
      for (const s of metric.samples()) {
        bounds.forEach((le, i) => lines.push(`${metric.name}_bucket${labelSet(metric.labelNames, s.labels, ["le", le])} ${s.cumulative[i]}`));
        lines.push(`${metric.name}_sum${labelSet(metric.labelNames, s.labels)} ${formatValue(s.sum)}`);
        lines.push(`${metric.name}_count${labelSet(metric.labelNames, s.labels)} ${s.count}`);
      }
      continue;
    }
    const sample = metric.type === "counter" ? `${metric.name}_total` : metric.name;
    for (const s of metric.samples()) lines.push(`${sample}${labelSet(metric.labelNames, s.labels)} ${formatValue(s.value)}`);
  }
  if (format === "openmetrics") lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}
