// Parses a metrics exposition with the Prometheus project's own Python client
// (Debian python3-prometheus-client), not with anything of ours: its text-format parser, or its
// stricter OpenMetrics parser, which rejects what the OpenMetrics spec forbids.
import { python } from "./python.ts";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  samples: Sample[];
}

const PARSE = String.raw`
import sys, json
fmt = sys.argv[1]
if fmt == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})
print(json.dumps(out))
`;

export async function parseExposition(text: string, format: "prometheus" | "openmetrics"): Promise<ParsedFamily[]> {
  const run = await python(PARSE, [format], { input: text });
  if (run.exitCode !== 0) throw new Error(`prometheus_client rejected the ${format} exposition: ${run.stderr}\n--- exposition ---\n${text}`);
  return JSON.parse(run.stdout) as ParsedFamily[];
}

/** The value of the sample `name` whose labels include `labels`; 0 when there is none (a counter not yet moved). */
export function sampleValue(families: ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return 0;
}

/** Every sample called `name`. */
export function samplesOf(families: ParsedFamily[], name: string): Sample[] {
  return families.flatMap((f) => f.samples.filter((s) => s.name === name));
}
