// A small SVG line chart in the style of the LiGO paper's Figure 2: linear axes with "nice" tick
// values (1, 2, 5 x 10^k steps; large values shown as multiples of 10^3k with the power in the
// axis title), one polyline (with point markers) per series, optionally with a translucent
// band around it (e.g. the min-max range over seeds), a dashed horizontal target line, dotted
// horizontal reference lines (e.g. the unigram, no-context loss), a legend (in a corner of the
// plot where it hides no line, else right of the plot), and a title, wrapped to the width. Text
// uses DejaVu Sans, which the PNG renderer (png.ts) needs installed. Optional: a y range (lines
// clipped to the plot; the HTML report's zoom) and a marker per series (a diamond with hover
// text, e.g. where a method reaches the target), and vertical dotted event lines per series (where
// a run was resumed).
// Classes and data-label / data-i attributes (series groups, points, legend entries, x axis) let
// the HTML report (html.ts) script the same SVG: hover, hiding a method, reading the x axis.

export interface Series {
  label: string;
  /** [x, y] pairs in drawing order. */
  points: [number, number][];
  /** A band drawn translucent behind the line: lower and upper y at each point's x (aligned with points). */
  band?: { lower: number[]; upper: number[] };
  /** A point to mark on the line (e.g. where it reaches the target), with its hover text. */
  marker?: { x: number; y: number; title: string };
  /** Vertical dotted lines in the series' colour at these x (e.g. where a run was resumed), with their hover text. */
  events?: { x: number; title: string }[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A dashed horizontal line (scratch's final loss, the savings target). */
  target?: { y: number; label: string };
  /** Dotted horizontal reference lines (e.g. the unigram cross-entropy, a model that learned no context). */
  refLines?: { y: number; label: string }[];
  /** The y range shown (default: all points); lines outside it are clipped at the plot's edge. */
  yRange?: [number, number];
  widthPx?: number;
  heightPx?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const FONT = 'DejaVu Sans, Verdana, sans-serif';
const MARGIN = { left: 72, right: 24, top: 44, bottom: 58 };
const REF_COLOR = '#777';
const REF_DASH = '2 3';

/** Evenly spaced round tick values covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) [min, max] = [min - (Math.abs(min) || 1) * 0.1, max + (Math.abs(max) || 1) * 0.1];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

/** Tick labels, scaled by a power of 1000 when the values are large; the power goes to the axis title. */
export function tickLabels(ticks: number[]): { labels: string[]; power: number } {
  const top = Math.max(...ticks.map(Math.abs));
  const power = top >= 1e4 ? 3 * Math.floor(Math.log10(top) / 3) : 0;
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) / 10 ** power : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return { labels: ticks.map((t) => (t / 10 ** power).toFixed(decimals)), power };
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => Number(v.toFixed(2)).toString();

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  xTicks: number[];
  yTicks: number[];
  left: number;
  right: number;
  top: number;
  bottom: number;
}

// DejaVu Sans Bold at the title's 15 px averages under 9 px a character (measured on rendered
// titles: 8.6); a line of the title holds as many as fit in the width less a margin.
const TITLE_CHAR_PX = 9;
const TITLE_LINE_PX = 19;

/** The title broken at spaces into lines that fit `width` (a word longer than a line keeps its own). */
export function titleLines(title: string, width: number): string[] {
  const max = Math.max(1, Math.floor((width - 24) / TITLE_CHAR_PX));
  const lines: string[] = [];
  for (const word of title.split(/\s+/).filter((w) => w.length > 0)) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= max) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.length > 0 ? lines : [''];
}

function frame(c: LineChart, width: number, height: number, rightMargin = MARGIN.right): Frame {
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...c.series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.band ? [...s.band.lower, ...s.band.upper] : [])]), ...(c.target ? [c.target.y] : []), ...(c.refLines ?? []).map((r) => r.y)];
  const xTicks = niceTicks(Math.min(0, ...xs), Math.max(...xs, Number.MIN_VALUE));
  const yTicks = c.yRange ? niceTicks(c.yRange[0], c.yRange[1]) : niceTicks(Math.min(...ys), Math.max(...ys));
  const top = MARGIN.top + (titleLines(c.title, width).length - 1) * TITLE_LINE_PX;
  const [left, right, bottom] = [MARGIN.left, width - rightMargin, height - MARGIN.bottom];
  const scale = (lo: number, hi: number, a: number, b: number) => (v: number) => a + ((v - lo) / (hi - lo)) * (b - a);
  return { x: scale(xTicks[0]!, xTicks.at(-1)!, left, right), y: scale(yTicks[0]!, yTicks.at(-1)!, bottom, top), xTicks, yTicks, left, right, top, bottom };
}

function axisTitle(label: string, power: number): string {
  return power === 0 ? label : `${label} (×10^${power})`;
}

function axes(c: LineChart, f: Frame): string[] {
  const xl = tickLabels(f.xTicks);
  const yl = tickLabels(f.yTicks);
  const out = [`<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}" fill="none" stroke="#000"/>`];
  f.xTicks.forEach((t, i) => {
    const x = num(f.x(t));
    out.push(`<line x1="${x}" y1="${f.top}" x2="${x}" y2="${f.bottom}" stroke="#e5e5e5"/>`, `<line x1="${x}" y1="${f.bottom}" x2="${x}" y2="${f.bottom + 5}" stroke="#000"/>`);
    out.push(`<text class="x-tick" x="${x}" y="${f.bottom + 19}" text-anchor="middle" font-size="12">${xl.labels[i]}</text>`);
  });
  f.yTicks.forEach((t, i) => {
    const y = num(f.y(t));
    out.push(`<line x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="#e5e5e5"/>`, `<line x1="${f.left - 5}" y1="${y}" x2="${f.left}" y2="${y}" stroke="#000"/>`);
    out.push(`<text x="${f.left - 8}" y="${y}" dy="4" text-anchor="end" font-size="12">${yl.labels[i]}</text>`);
  });
  out.push(`<text class="x-title" x="${num((f.left + f.right) / 2)}" y="${f.bottom + 44}" text-anchor="middle" font-size="13">${escape(axisTitle(c.xLabel, xl.power))}</text>`);
  const yMid = num((f.top + f.bottom) / 2);
  out.push(`<text x="18" y="${yMid}" text-anchor="middle" font-size="13" transform="rotate(-90 18 ${yMid})">${escape(axisTitle(c.yLabel, yl.power))}</text>`);
  return out;
}

/** Ids of clip paths, unique within a page that holds many charts. */
let clips = 0;

function seriesLines(c: LineChart, f: Frame, clip: string | null): string[] {
  return c.series.flatMap((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.map(([x, y]) => `${num(f.x(x))},${num(f.y(y))}`);
    const markers = s.points.map(([x, y], k) => `<circle class="point" data-i="${k}" cx="${num(f.x(x))}" cy="${num(f.y(y))}" r="2.5" fill="${color}"/>`);
    const label = escape(s.label);
    const m = s.marker;
    const mark = m ? [`<path class="marker" d="M${num(f.x(m.x))} ${num(f.y(m.y) - 7)}l6 7l-6 7l-6 -7z" fill="#fff" stroke="${color}" stroke-width="2"><title>${escape(m.title)}</title></path>`] : [];
    const events = (s.events ?? []).map((e) => `<line class="event" x1="${num(f.x(e.x))}" y1="${f.top}" x2="${num(f.x(e.x))}" y2="${f.bottom}" stroke="${color}" stroke-width="1.5" stroke-dasharray="1 3"><title>${escape(e.title)}</title></line>`);
    return [`<g class="series-group" data-label="${label}"${clip ? ` clip-path="url(#${clip})"` : ''}>`, ...band(s, f, color), ...events, `<polyline class="series" data-label="${label}" fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`, ...markers, ...mark, '</g>'];
  });
}

/** The series' band as a translucent polygon: along the upper edge, back along the lower one. */
function band(s: Series, f: Frame, color: string): string[] {
  if (!s.band) return [];
  const edge = (ys: number[]) => s.points.map(([x], k) => `${num(f.x(x))},${num(f.y(ys[k]!))}`);
  return [`<polygon class="band" data-label="${escape(s.label)}" fill="${color}" fill-opacity="0.18" stroke="none" points="${[...edge(s.band.upper), ...edge(s.band.lower).reverse()].join(' ')}"/>`];
}

function targetLine(c: LineChart, f: Frame): string[] {
  const shown = (y: number) => !c.yRange || (y >= c.yRange[0] && y <= c.yRange[1]);
  const refs = (c.refLines ?? []).filter((r) => shown(r.y)).map((r) => `<line class="ref-line" x1="${f.left}" y1="${num(f.y(r.y))}" x2="${f.right}" y2="${num(f.y(r.y))}" stroke="${REF_COLOR}" stroke-width="1.5" stroke-dasharray="${REF_DASH}"/>`);
  if (!c.target) return refs;
  const y = num(f.y(c.target.y));
  return [`<line class="target" x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="#444" stroke-width="1.5" stroke-dasharray="6 4"/>`, ...refs];
}

interface LegendEntry {
  label: string;
  color: string;
  dash: string;
  /** A series (toggled by the HTML report), the target line, or a reference line. */
  kind: 'series' | 'target' | 'ref';
}

interface LegendBox {
  entries: LegendEntry[];
  width: number;
  height: number;
}

function legendBox(c: LineChart): LegendBox {
  const entries: LegendEntry[] = [
    ...c.series.map((s, i) => ({ label: s.label, color: PALETTE[i % PALETTE.length]!, dash: '', kind: 'series' as const })),
    ...(c.target ? [{ label: c.target.label, color: '#444', dash: ' stroke-dasharray="6 4"', kind: 'target' as const }] : []),
    ...(c.refLines ?? []).map((r) => ({ label: r.label, color: REF_COLOR, dash: ` stroke-dasharray="${REF_DASH}"`, kind: 'ref' as const })),
  ];
  return { entries, width: 36 + 7.2 * Math.max(...entries.map((e) => e.label.length)), height: entries.length * 18 + 8 };
}

/** How many of the lines' pixels (sampled every 3 px) a legend at each corner of the plot would cover, least first; top right wins ties, then bottom left, top left, bottom right. */
function legendCorners(c: LineChart, f: Frame, box: LegendBox): { at: [number, number]; hidden: number }[] {
  const samples: [number, number][] = [];
  const segment = (a: [number, number], b: [number, number]) => {
    const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 3));
    for (let t = 0; t <= n; t++) samples.push([a[0] + ((b[0] - a[0]) * t) / n, a[1] + ((b[1] - a[1]) * t) / n]);
  };
  for (const s of c.series) {
    const px = s.points.map(([x, y]): [number, number] => [f.x(x), f.y(y)]);
    px.forEach((p, k) => segment(px[k - 1] ?? p, p));
  }
  for (const y of [...(c.target ? [c.target.y] : []), ...(c.refLines ?? []).map((r) => r.y)]) segment([f.left, f.y(y)], [f.right, f.y(y)]);
  const pad = 4; // markers and line width
  const [l, r, t, b] = [f.left + 10, f.right - box.width - 10, f.top + 10, f.bottom - box.height - 10];
  const corners: [number, number][] = [[r, t], [l, b], [l, t], [r, b]];
  const hidden = ([x0, y0]: [number, number]) => samples.filter(([x, y]) => x >= x0 - pad && x <= x0 + box.width + pad && y >= y0 - pad && y <= y0 + box.height + pad).length;
  return corners.map((at) => ({ at, hidden: hidden(at) })).sort((p, q) => p.hidden - q.hidden);
}

/**
 * The plot frame and where the legend goes: inside the plot, in the corner where it hides no
 * line; when every corner would hide some, outside, right of a narrower plot.
 */
function layout(c: LineChart, width: number, height: number, box: LegendBox): { f: Frame; at: [number, number] } {
  const inside = frame(c, width, height);
  const best = legendCorners(c, inside, box)[0]!;
  if (best.hidden === 0) return { f: inside, at: best.at };
  const f = frame(c, width, height, MARGIN.right + box.width + 12);
  return { f, at: [f.right + 12, f.top] };
}

function legend(box: LegendBox, [x0, y0]: [number, number]): string[] {
  const out = [`<rect x="${num(x0)}" y="${y0}" width="${num(box.width)}" height="${box.height}" fill="#fff" fill-opacity="0.85" stroke="#bbb"/>`];
  box.entries.forEach((e, i) => {
    const y = y0 + 14 + i * 18;
    out.push(e.kind === 'series' ? `<g class="legend-entry" data-label="${escape(e.label)}">` : `<g class="legend-${e.kind}">`);
    out.push(`<rect x="${num(x0 + 2)}" y="${y - 9}" width="${num(box.width - 4)}" height="18" fill="#fff" fill-opacity="0"/>`);
    out.push(`<line x1="${num(x0 + 6)}" y1="${y}" x2="${num(x0 + 28)}" y2="${y}" stroke="${e.color}" stroke-width="2"${e.dash}/>`);
    out.push(`<text x="${num(x0 + 34)}" y="${y}" dy="4" font-size="12">${escape(e.label)}</text>`, '</g>');
  });
  return out;
}

export function lineChartSvg(c: LineChart): string {
  const width = c.widthPx ?? 720;
  const height = c.heightPx ?? 450;
  const box = legendBox(c);
  const { f, at } = layout(c, width, height, box);
  const clip = c.yRange ? `plot-${++clips}` : null;
  const clipPath = clip ? [`<clipPath id="${clip}"><rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}"/></clipPath>`] : [];
  const body = [...clipPath, ...axes(c, f), ...targetLine(c, f), ...seriesLines(c, f, clip), ...legend(box, at)];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...titleLines(c.title, width).map((line, i) => `<text class="title" x="${width / 2}" y="${26 + i * TITLE_LINE_PX}" text-anchor="middle" font-size="15" font-weight="bold">${escape(line)}</text>`),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
