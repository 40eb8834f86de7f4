// Small line charts as SVG, for docs/: categorical x (the points measured, evenly spaced), linear y
// from zero, one line per series. Text only, no external services or fonts beyond sans-serif.

export interface Series {
  name: string;
  /** One value per x, null where not measured. */
  values: Array<number | null>;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  xs: string[];
  series: Series[];
}

const WIDTH = 420;
const HEIGHT = 260;
const MARGIN = { left: 64, right: 16, top: 30, bottom: 64 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A round step giving about five gridlines up to `max`. */
function step(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
}

function label(value: number): string {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(1)}`;
}

function chart(c: Chart, x0: number, y0: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1e-9, ...c.series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const yStep = step(max);
  const yMax = Math.ceil(max / yStep) * yStep;
  const x = (i: number) => x0 + MARGIN.left + (c.xs.length === 1 ? plotW / 2 : (i * plotW) / (c.xs.length - 1));
  const y = (v: number) => y0 + MARGIN.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [`<text x="${x0 + WIDTH / 2}" y="${y0 + 18}" text-anchor="middle" font-weight="bold">${escape(c.title)}</text>`];
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    parts.push(`<line x1="${x0 + MARGIN.left}" x2="${x0 + WIDTH - MARGIN.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${x0 + MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end">${label(v)}</text>`);
  }
  c.xs.forEach((xs, i) => parts.push(`<text x="${x(i)}" y="${y0 + HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escape(xs)}</text>`));
  parts.push(`<text x="${x0 + MARGIN.left + plotW / 2}" y="${y0 + HEIGHT - MARGIN.bottom + 34}" text-anchor="middle">${escape(c.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(${x0 + 14},${y0 + MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(c.yLabel)}</text>`,
  );
  c.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const points = s.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter((p): p is string => p !== null);
    if (points.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`);
    for (const p of points) {
      const [px, py] = p.split(",");
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    }
    const lx = x0 + MARGIN.left + k * 130;
    const ly = y0 + HEIGHT - 12;
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly}">${escape(s.name)}</text>`);
  });
  return parts.join("\n");
}

/** Charts in a grid of `columns`, as one SVG document. */
export function svgCharts(charts: Chart[], columns: number, caption: string): string {
  const rows = Math.ceil(charts.length / columns);
  const width = columns * WIDTH;
  const height = rows * HEIGHT + 24;
  const body = charts.map((c, i) => chart(c, (i % columns) * WIDTH, Math.floor(i / columns) * HEIGHT)).join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    `<text x="8" y="${height - 8}" fill="#555">${escape(caption)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
