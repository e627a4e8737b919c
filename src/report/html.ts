// report.html (`ligo report DIR --html`): one self-contained page for an experiment, nothing
// fetched (inline CSS and JS, the data embedded as JSON). It shows what results.md and the plots
// show, from the same Savings object and the same chart code (writeReport passes them in):
//
//   - the savings table: one row per method, cost and saved in both FLOP conventions and wall
//     time, with the small model taken as already trained and with its pretraining charged;
//   - validation loss vs FLOPs (a toggle between the ELECTRA and 6N conventions) and vs wall
//     time: lineChartSvg's SVG, scripted by html-script.ts (hover a point for its numbers, click
//     a legend entry to hide or show a method);
//   - which models were compared, and the page's metadata (date, ligo version, backends from the
//     logs, the command); a note when wall times are noisy (legs with the same model trained at
//     different speeds, or wall-time savings far from FLOPs savings);
//   - the seeds' spread and the unigram line when results.json has them;
//   - every loss chart twice, at the y range where the lines differ (shown first) and at the
//     full range, with a toggle; a diamond marks where each method reaches the target;
//   - the large models' training curves per step (training loss, learning rate, gradient norm,
//     throughput; runs.ts) against steps, FLOPs or wall time (one switch for the page), resumes
//     marked, a learned operator's loss per step when its growth recorded it (`operatorLosses`),
//     and the small model's pretraining; legs of any seed still running, stopped or not started
//     are named in a note, and each method's row says which of its seeds (legs.ts);
//   - the configuration: a table of the fields that differ between legs, then the spec and per
//     leg its model config (the config.json of its latest checkpoint, or resolved from the spec
//     while it has none) and its training budget, in collapsible sections.
//
// runsReport is the page of plain `ligo train` / `ligo grow` runs (`ligo report RUN...`,
// plain-runs.ts): a summary table with each run's status, the savings against the scratch run,
// each grown run's lineage (method, options as run, operator steps and cost, the small model),
// their validation and training curves on the same x-axis switch, and their settings.

import fs from 'node:fs';
import { join, relative } from 'node:path';
import { CONFIG_FILE, codeVersion, type CodeVersion } from '../io/index.ts';
import { dataLabel, latestCheckpointDir } from '../train/index.ts';
import { configFromJSON, dims, parameterCount } from '../models/index.ts';
import { legDir, legGrowth, methodBudget, resolveModels, smallDir, trainDir, type ExperimentSpec, type MethodSpec, type TrainingBudget } from '../experiment/index.ts';
import { shownPath, statusText } from './lineage.ts';
import { inProgressText, methodProgress, unfinishedLegs, type UnfinishedLeg } from './legs.ts';
import { charged, methodOf, type PlainReport, type PlainRun } from './plain-runs.ts';
import { lineChartSvg, type LineChart } from './chart.ts';
import { X_AXES, X_AXIS_NAMES, differingRange, medianThroughput, readRun, trainingCharts, validationChart, type CurveAxes, type RunCurves } from './runs.ts';
import { lossChart, type CostAxis, type ExperimentCurves } from './curves.ts';
import { costKeys, type Cost, type MethodSavings, type Savings } from './savings.ts';
import { NOT_REACHED, aboveUnigramWarning, finalLoss, flops, percent, seconds, smallCostText, targetText } from './table.ts';
import { HTML_SCRIPT } from './html-script.ts';
import type { MethodSpread, Spread } from './spread.ts';

export const HTML_REPORT = 'report.html';

/** One leg's configuration: the small model's pretraining, or a method's large model. */
export interface LegConfig {
  /** 'small' or the method's label. */
  leg: string;
  method: MethodSpec | null;
  training: TrainingBudget;
  /** The model config (HF field names); null when not known yet. */
  config: Record<string, unknown> | null;
  /** Where the config comes from: a checkpoint's config.json (relative to DIR), or the spec. */
  source: string;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Each leg's model config: its latest checkpoint's config.json, else the spec's, resolved. */
export function legConfigs(dir: string, spec: ExperimentSpec): LegConfig[] {
  let fromSpec: ReturnType<typeof resolveModels> | null = null;
  try {
    if (spec.tokenizer === null || 'vocabSize' in spec.tokenizer) fromSpec = resolveModels(spec, { size: spec.tokenizer?.vocabSize ?? 0 });
  } catch {
    fromSpec = null;
  }
  const leg = (name: string, legPath: string, method: MethodSpec | null, training: TrainingBudget, specConfig: object | undefined): LegConfig => {
    const ckpt = latestCheckpointDir(trainDir(legPath));
    const file = ckpt ? join(ckpt, CONFIG_FILE) : null;
    if (file && fs.existsSync(file)) return { leg: name, method, training, config: JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>, source: relative(dir, file) };
    if (specConfig) return { leg: name, method, training, config: { ...specConfig }, source: 'the spec (no checkpoint yet)' };
    return { leg: name, method, training, config: null, source: 'not known until the leg writes a checkpoint' };
  };
  return [leg('small', smallDir(dir), null, spec.small.training, fromSpec?.small), ...spec.methods.map((m) => leg(m.label, legDir(dir, m.label), m, methodBudget(spec.large.training, m), fromSpec?.large))];
}

const MEASURES: { key: (typeof costKeys)[number]; title: string; format: (v: number) => string }[] = [
  { key: 'flopsElectra', title: 'FLOPs (ELECTRA)', format: flops },
  { key: 'flopsSixN', title: 'FLOPs (6N)', format: flops },
  { key: 'wallSeconds', title: 'wall time', format: seconds },
];

function savedCell(v: number): string {
  return `<td class="num ${v > 0 ? 'pos' : v < 0 ? 'neg' : ''}">${percent(v)}</td>`;
}

function costCells(cost: Cost | null, saved: Cost | null): string {
  if (!cost || !saved) return `<td class="not-reached" colspan="${2 * MEASURES.length}">${NOT_REACHED}</td>`;
  return MEASURES.map((m) => `<td class="num">${m.format(cost[m.key])}</td>${savedCell(saved[m.key])}`).join('');
}

function tableRow(m: MethodSavings, reference: string, unfinished: readonly UnfinishedLeg[]): string {
  const step = m.reach ? `<td class="num">${Math.round(m.reach.step)}</td>` : `<td class="not-reached">${NOT_REACHED}</td>`;
  const status = methodProgress(unfinished, m.label);
  const name = `${escape(m.label)}${m.method !== m.label ? ` <span class="method">(${escape(m.method)})</span>` : ''}${m.label === reference ? ' <span class="ref">reference</span>' : ''}${status ? ` <span class="ref in-progress">${escape(status)}</span>` : ''}`;
  return `<tr data-label="${escape(m.label)}"><th scope="row">${name}</th><td class="num">${finalLoss(m.finalValLoss)}</td>${step}${costCells(m.costWithoutSmall, m.savingsWithoutSmall)}${costCells(m.costWithSmall, m.savingsWithSmall)}</tr>`;
}

function savingsTable(s: Savings, unfinished: readonly UnfinishedLeg[]): string {
  const groups = ['small model already trained', "small model's pretraining charged"];
  const measureHeads = MEASURES.map((m) => `<th colspan="2" scope="colgroup">${m.title}</th>`).join('');
  const pairHeads = MEASURES.map(() => '<th scope="col">cost</th><th scope="col">saved</th>').join('');
  return [
    '<div class="table-wrap"><table id="savings-table">',
    '<thead>',
    `<tr><th rowspan="3" scope="col">method</th><th rowspan="3" scope="col">final val loss</th><th rowspan="3" scope="col">target reached at step</th>${groups.map((g) => `<th colspan="${2 * MEASURES.length}" scope="colgroup" class="group">${escape(g)}</th>`).join('')}</tr>`,
    `<tr>${measureHeads}${measureHeads}</tr>`,
    `<tr>${pairHeads}${pairHeads}</tr>`,
    '</thead>',
    '<tbody>',
    ...s.methods.map((m) => tableRow(m, s.reference, unfinished)),
    '</tbody>',
    '</table></div>',
  ].join('\n');
}

function growthList(e: ExperimentCurves): string {
  const grown = e.curves.filter((c) => c.method !== 'scratch');
  if (grown.length === 0) return '';
  const items = grown.map((c) => `<li><b>${escape(c.label)}</b> (${escape(c.method)}): ${flops(c.growth.flopsElectra)} FLOPs (ELECTRA), ${flops(c.growth.flopsSixN)} (6N), ${seconds(c.growth.wallSeconds)}</li>`);
  return `<p>Growth cost charged to each method (the operator itself; fixed operators only copy weights):</p>\n<ul class="growth">${items.join('')}</ul>`;
}

const AXIS_NAMES: Record<CostAxis, string> = { flopsElectra: 'ELECTRA', flopsSixN: '6N', wallSeconds: 'wall time' };
const AXIS_ARIA: Record<CostAxis, string> = { flopsElectra: 'training FLOPs (ELECTRA convention)', flopsSixN: 'training FLOPs (6N convention)', wallSeconds: 'wall time' };

/**
 * Chart sizes in px, drawn at about the size the page shows them at 1,280 px (so text keeps its
 * size): 'wide' fills the page's width, 'half' shares a row with another.
 */
const SIZES = { wide: { widthPx: 1180, heightPx: 460 }, half: { widthPx: 590, heightPx: 400 } } as const;
type Size = keyof typeof SIZES;

/** One chart as SVG wraps: at the range where the lines differ (shown first) and at the full range. */
function chartWraps(chart: LineChart, aria: string, attrs: Record<string, string>, hidden: boolean, cls = 'chart-svg', size: Size = 'wide'): { html: string; zoomed: boolean } {
  const c = { ...SIZES[size], ...chart };
  const range = differingRange(c);
  const wrap = (chart: LineChart, r: string, off: boolean) => {
    const svg = lineChartSvg(chart).replace('<svg ', `<svg class="${cls}" role="img" aria-label="${escape(aria)}" `);
    const data = Object.entries({ ...attrs, range: r }).map(([k, v]) => ` data-${k}="${v}"`).join('');
    return `<div class="svg-wrap"${data}${off ? ' hidden' : ''}>\n${svg}</div>`;
  };
  if (!range) return { html: wrap(c, 'full', hidden), zoomed: false };
  return { html: [wrap({ ...c, yRange: range }, 'differ', hidden), wrap(c, 'full', true)].join('\n'), zoomed: true };
}

function rangeToggle(id: string): string {
  const choice = (value: string, text: string, checked: boolean) => `<label><input type="radio" name="range-${id}" data-key="range" value="${value}"${checked ? ' checked' : ''}> ${text}</label>`;
  return `<span role="radiogroup" aria-label="y range">y range: ${choice('differ', 'where the lines differ', true)}${choice('full', 'full', false)}</span>`;
}

/** A figure with a y-range toggle when zoomed, and `controls` before it. */
function figure(id: string, wraps: { html: string; zoomed: boolean }[], controls = '', size: Size = 'wide'): string {
  const zoomed = wraps.some((w) => w.zoomed);
  return [`<figure class="chart ${size}" id="${id}">`, `<div class="controls">${controls}${zoomed ? rangeToggle(id) : ''}</div>`, ...wraps.map((w) => w.html), '</figure>'].join('\n');
}

/**
 * A radio group choosing which of a figure's wraps show (the script shows the wraps whose
 * data-KEY matches every checked choice): the experiment chart's FLOP convention (key 'axis',
 * in its figure) and the x axis of the run curves (key 'x', once for the page, above them).
 */
function choice(key: string, name: string, label: string, options: readonly { value: string; text: string }[]): string {
  const inputs = options.map((o, i) => `<label><input type="radio" name="${name}" data-key="${key}" value="${o.value}"${i === 0 ? ' checked' : ''}> ${escape(o.text)}</label>`).join('');
  return `<span role="radiogroup" aria-label="${escape(label)}">${escape(label)}: ${inputs}</span> `;
}

/** The page's x-axis switch for the run curves (runFigures). */
const X_SWITCH = `<div class="controls page-controls">${choice('x', 'x-axis', 'x axis', X_AXES.map((x) => ({ value: x, text: X_AXIS_NAMES[x] })))}</div>`;

/** The loss chart on `axis` with a diamond where each method reaches the target. */
function markedLossChart(e: ExperimentCurves, s: Savings, axis: CostAxis): LineChart {
  const c = lossChart(e, s, axis);
  const cost = new Map(s.methods.map((m) => [m.label, m.costWithoutSmall]));
  return { ...c, series: c.series.map((se) => ({ ...se, ...(cost.get(se.label) ? { marker: { x: cost.get(se.label)![axis], y: s.targetLoss, title: `${se.label} reaches the target at ${axis === 'wallSeconds' ? seconds(cost.get(se.label)![axis]) : `${flops(cost.get(se.label)![axis])} FLOPs`}` } } : {}) })) };
}

function charts(e: ExperimentCurves, s: Savings): string {
  const toggle = choice('axis', 'flops-convention', 'FLOP convention', (['flopsElectra', 'flopsSixN'] as const).map((axis) => ({ value: axis, text: AXIS_NAMES[axis] })));
  const wraps = (axis: CostAxis, hidden: boolean) => chartWraps(markedLossChart(e, s, axis), `validation loss vs ${AXIS_ARIA[axis]}`, { axis }, hidden);
  return [figure('chart-flops', [wraps('flopsElectra', false), wraps('flopsSixN', true)], toggle), figure('chart-wall', [wraps('wallSeconds', false)])].join('\n');
}

/**
 * Figures of run curves (runs.ts), ids prefixed: each chart drawn on every x axis (X_SWITCH
 * picks one), each run's `offsets` (its growth) charged before its first step on the cost axes.
 */
function runFigures(prefix: string, make: (axes: CurveAxes) => { id: string; chart: LineChart }[], offsets: ReadonlyMap<string, Cost>, size: Size): string {
  const byAxis = X_AXES.map((x) => ({ x, charts: make({ x, offsets }) }));
  return byAxis[0]!.charts
    .map((c, i) => ({ id: c.id, perAxis: byAxis.map((a) => ({ x: a.x, chart: a.charts[i]!.chart })) }))
    .filter((c) => c.perAxis[0]!.chart.series.some((se) => se.points.length > 0))
    .map((c) => figure(`${prefix}-${c.id}`, c.perAxis.map((a) => chartWraps(a.chart, `${a.chart.title} vs ${X_AXIS_NAMES[a.x]}`, { x: a.x }, a.x !== 'step', 'run-svg', size)), '', size))
    .join('\n');
}

const json = (v: unknown) => escape(JSON.stringify(v, null, 2));

function configSections(spec: ExperimentSpec, hash: string, legs: LegConfig[]): string {
  const section = (summary: string, body: string) => `<details><summary>${summary}</summary>\n${body}\n</details>`;
  const legBody = (l: LegConfig) =>
    [
      l.method ? `<h4>method</h4><pre>${json(l.method)}</pre>` : '',
      `<h4>model config <span class="source">from ${escape(l.source)}</span></h4>`,
      l.config ? `<pre>${json(l.config)}</pre>` : '<p class="muted">not known yet</p>',
      `<h4>training</h4><pre>${json(l.training)}</pre>`,
    ].join('\n');
  const legSummary = (l: LegConfig) => (l.method ? `${escape(l.leg)} <span class="muted">(${escape(l.method.name)}${l.method.ki ? ' + KI' : ''}): large model</span>` : `small <span class="muted">(pretraining)</span>`);
  return [section(`experiment spec <span class="muted">(hash ${escape(hash)})</span>`, `<pre>${json(spec)}</pre>`), ...legs.map((l) => section(legSummary(l), legBody(l)))].join('\n');
}

const CSS = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #6b6b70; --line: #d9d9de; --head: #f3f4f6; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1240px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h4 { font-size: 13px; margin: 12px 0 4px; }
.meta, .muted, .source { color: var(--muted); }
.source { font-weight: normal; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 7px; border: 1px solid var(--line); white-space: nowrap; }
thead th[rowspan] { white-space: normal; min-width: 64px; }
thead th { background: var(--head); font-weight: 600; text-align: center; }
thead th.group { background: #e8eaef; }
tbody th { text-align: left; font-weight: 600; }
td.num { text-align: right; }
td.pos { color: #1a7f37; }
td.neg { color: #c62828; }
td.not-reached { text-align: center; color: var(--muted); font-style: italic; }
.method, .ref { font-weight: normal; color: var(--muted); }
.ref { font-size: 11px; border: 1px solid var(--line); border-radius: 3px; padding: 0 4px; }
ul.growth { margin: 4px 0; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure.chart { margin: 0; flex: 1 1 100%; min-width: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
figure.chart.half { flex: 1 1 calc(50% - 8px); min-width: 440px; }
.page-controls { margin: 4px 0 10px; }
#runs-table td:nth-child(2), #runs-table td.status { white-space: normal; }
td.status.running, td.status.stopped, .in-progress { color: #8a5a00; }
ul.lineage > li { margin: 6px 0; }
details.options { border: none; padding: 0; margin: 2px 0; }
details.options summary { font-weight: normal; color: var(--muted); }
.controls { font-size: 13px; margin: 0 0 4px 8px; min-height: 24px; }
.controls label { margin-left: 10px; cursor: pointer; }
.svg-wrap svg { display: block; width: 100%; height: auto; }
.svg-wrap[hidden] { display: none; }
.series-group.off { display: none; }
.legend-entry { cursor: pointer; }
.legend-entry.off { opacity: 0.35; }
.legend-entry:focus { outline: none; }
.legend-entry:focus-visible rect { stroke: #888; stroke-dasharray: 2 2; }
circle.point.hover { r: 5px; stroke: #000; stroke-width: 1.5; }
#tooltip { position: fixed; pointer-events: none; z-index: 10; background: rgba(255, 255, 255, 0.97); border: 1px solid #999; border-radius: 4px; padding: 6px 8px; font-size: 12px; line-height: 1.4; box-shadow: 0 2px 6px rgba(0, 0, 0, 0.15); white-space: nowrap; }
#tooltip[hidden] { display: none; }
#tooltip .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
details { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 6px 10px; }
summary { cursor: pointer; font-weight: 600; }
pre { margin: 4px 0; padding: 8px; background: #f7f7f9; border-radius: 4px; font-size: 12px; overflow-x: auto; }
p.note { background: #fff8e1; border: 1px solid #f0d98c; border-radius: 4px; padding: 6px 10px; }
table.differences td { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.controls span[role="radiogroup"] { margin-right: 14px; }
path.marker { pointer-events: all; }
`;

/** 'ligo 0.1.0 (commit abc1234)'. */
function versionText(v: CodeVersion | null): string {
  return v ? `ligo ${v.version}${v.commit ? ` (commit ${v.commit.slice(0, 10)})` : ''}` : 'an older ligo (version not recorded)';
}

/** 'BertForMaskedLM 4L-192H-3A-768F (1,234,567 parameters)' for an HF config. */
function modelName(config: Record<string, unknown>): string {
  const c = configFromJSON(config);
  const d = dims(c);
  const parameters = parameterCount(c);
  return `${c.architectures[0] ?? c.model_type} ${d.layers}L-${d.hidden}H-${d.heads}A-${d.ffn}F (${parameters.toLocaleString('en')} parameters)`;
}

/** Date, ligo version, backends from the logs, the command. */
function metadata(runs: RunCurves[], command: string): string {
  const backends = [...new Set(runs.flatMap((r) => r.backends))];
  const parts = [`generated ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} by ${versionText(codeVersion())}`, `backend ${backends.length > 0 ? backends.join(', ') : 'unknown'} (from the logs)`, `command: <code>${escape(command)}</code>`];
  return `<p class="meta">${parts.join(' · ')}</p>`;
}

/**
 * Why wall times may mislead, or '': legs that trained the same model at throughputs more than
 * 15% apart (other load on the machine), or wall-time savings more than 5 points from the FLOPs
 * savings.
 */
export function wallTimeNote(runs: RunCurves[], configs: Map<string, string>, s: Savings | null): string {
  const notes: string[] = [];
  const byModel = new Map<string, { label: string; tps: number }[]>();
  for (const r of runs) {
    const tps = medianThroughput(r);
    const model = configs.get(r.label);
    if (tps !== null && model) byModel.set(model, [...(byModel.get(model) ?? []), { label: r.label, tps }]);
  }
  for (const legs of byModel.values()) {
    if (legs.length < 2) continue;
    const lo = legs.reduce((a, b) => (b.tps < a.tps ? b : a));
    const hi = legs.reduce((a, b) => (b.tps > a.tps ? b : a));
    if (hi.tps > 1.15 * lo.tps) notes.push(`${hi.label} and ${lo.label} train the same model at ${Math.round(hi.tps)} and ${Math.round(lo.tps)} tokens/s (median): the machine's load changed during the run`);
  }
  for (const m of s?.methods ?? []) {
    const saved = m.savingsWithoutSmall;
    if (saved && Math.abs(saved.wallSeconds - saved.flopsElectra) > 0.05) notes.push(`${m.label} saves ${percent(saved.wallSeconds)} of the wall time but ${percent(saved.flopsElectra)} of the FLOPs`);
  }
  if (notes.length === 0) return '';
  return `<p class="note"><b>Wall times are noisy here</b>: ${escape(notes.join('; '))}. Wall time depends on what else the machine runs; the FLOPs do not, so compare methods by FLOPs.</p>`;
}

/** results.json's seed spread (spread.ts) and unigram line, when the experiment wrote them. */
function spreadSection(dir: string): string {
  const path = join(dir, 'results.json');
  if (!fs.existsSync(path)) return '';
  const r = JSON.parse(fs.readFileSync(path, 'utf8')) as { unigramLoss?: number | null; reference?: string; seeds?: number[]; methods?: { label: string; spread?: MethodSpread }[] };
  const out: string[] = [];
  const warning = aboveUnigramWarning(r.unigramLoss ?? null, r.reference ?? 'scratch', (r.methods ?? []).map((m) => ({ label: m.label, loss: m.spread?.finalValLoss?.mean ?? null })));
  if (warning) out.push(`<p class="warning"><strong>${escape(warning)}</strong></p>`);
  if (typeof r.unigramLoss === 'number') out.push(`<p>Unigram line: a model that ignores the context reaches validation loss ${r.unigramLoss.toFixed(4)}; losses near it mean the models have learned little beyond token frequencies.</p>`);
  const rows = (r.methods ?? []).filter((m) => m.spread);
  if (rows.length > 0 && (r.seeds?.length ?? 0) > 1) {
    const cell = (v: Spread | null | undefined, f: (x: number) => string) => (v ? `<td class="num">${f(v.mean)} ± ${f(v.sd)} <span class="muted">[${f(v.min)}, ${f(v.max)}]</span></td>` : '<td class="not-reached">–</td>');
    const loss = (x: number) => x.toFixed(3);
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const columns: [string, (m: MethodSpread) => string][] = [
      ['reached / seeds', (m) => `<td class="num">${m.reached} / ${m.seeds}</td>`],
      ['final val loss', (m) => cell(m.finalValLoss, loss)],
      ['FLOPs to target (ELECTRA)', (m) => cell(m.costToTarget.flopsElectra, (x) => x.toExponential(2))],
      ['saved (ELECTRA, small paid)', (m) => cell(m.savingsWithoutSmall.flopsElectra, pct)],
      ["operator's share of scratch's FLOPs", (m) => cell(m.growthShare.flopsElectra, pct)],
    ];
    out.push(`<p>Over seeds ${r.seeds!.join(', ')}: mean ± standard deviation [min, max]; cost and savings over the seeds that reached the target.</p>`);
    out.push(`<div class="table-wrap"><table id="spread-table"><thead><tr><th scope="col">method</th>${columns.map(([t]) => `<th scope="col">${escape(t)}</th>`).join('')}</tr></thead><tbody>${rows.map((m) => `<tr data-label="${escape(m.label)}"><th scope="row">${escape(m.label)}</th>${columns.map(([, c]) => c(m.spread!)).join('')}</tr>`).join('')}</tbody></table></div>`);
  }
  return out.length > 0 ? `<h2>Seeds and baselines</h2>\n${out.join('\n')}` : '';
}

/** Flattens nested objects to 'a.b' paths. */
function flat(o: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) for (const [k, v] of Object.entries(o)) flat(v, prefix ? `${prefix}.${k}` : k, out);
  else if (prefix) out.set(prefix, JSON.stringify(o));
  return out;
}

/** A table of the settings that differ between columns (absent: '–'); '' when none differ. */
function differencesTable(columns: { label: string; settings: Record<string, unknown> }[]): string {
  const flats = columns.map((c) => flat(c.settings));
  const keys = [...new Set(flats.flatMap((f) => [...f.keys()]))].filter((k) => new Set(flats.map((f) => f.get(k) ?? '–')).size > 1).sort();
  if (keys.length === 0) return '<p class="muted">No setting differs between them.</p>';
  const head = `<tr><th scope="col">setting</th>${columns.map((c) => `<th scope="col">${escape(c.label)}</th>`).join('')}</tr>`;
  const rows = keys.map((k) => `<tr><th scope="row"><code>${escape(k)}</code></th>${flats.map((f) => `<td>${escape(f.get(k) ?? '–')}</td>`).join('')}</tr>`);
  return `<div class="table-wrap"><table class="differences"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function page(title: string, body: string[], data: unknown): string {
  const embedded = JSON.stringify(data).replace(/</g, '\\u003c');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>${escape(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body,
    '</main>',
    '<div id="tooltip" role="tooltip" hidden></div>',
    `<script type="application/json" id="report-data">${embedded}</script>`,
    `<script>${HTML_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The page for experiment `e` with savings `s` (from writeReport), its configs and logs read from `dir`. */
export function htmlReport(dir: string, e: ExperimentCurves, s: Savings): string {
  const legs = legConfigs(dir, e.spec);
  const data = { experiment: e.spec.name, specHash: e.hash, savings: s, curves: e.curves, reference: e.reference, spec: e.spec, legs };
  const name = escape(e.spec.name);
  const methods = e.curves.length < e.spec.methods.length ? `${e.curves.length} of ${e.spec.methods.length} methods with results so far` : `${e.spec.methods.length} methods`;
  const small = readRun(trainDir(smallDir(dir)), 'small');
  const large = e.spec.methods.map((m) => readRun(trainDir(legDir(dir, m.label)), m.label)).filter((r): r is RunCurves => r !== null);
  const unfinished = unfinishedLegs(dir, e.spec);
  const growth = new Map(e.curves.map((c) => [c.label, c.growth]));
  const models = new Map(legs.filter((l) => l.config).map((l) => [l.leg, modelName(l.config!)]));
  const smallModel = models.get('small');
  const largeModels = [...new Set(legs.filter((l) => l.method).map((l) => models.get(l.leg)).filter((m): m is string => m !== undefined))];
  return page(`ligo report: ${e.spec.name}`, [
    `<h1>Experiment ${name}</h1>`,
    `<p class="meta">spec ${escape(e.hash)} · data ${escape(dataLabel(e.spec.data))} · sequence length ${e.spec.seqLen} · ${methods}</p>`,
    metadata([...(small ? [small] : []), ...large], `ligo experiment SPEC --out ${dir}   (spec ${e.spec.name}, hash ${e.hash})`),
    `<p id="models">Models: small ${escape(smallModel ?? 'not known yet')}, grown into large ${escape(largeModels.join(' / ') || 'not known yet')}.</p>`,
    inProgressNote(inProgressText(unfinished)),
    '<h2>Savings</h2>',
    `<p>${escape(targetText(s))}</p>`,
    savingsTable(s, unfinished),
    `<p>The small model's pretraining (${escape(smallCostText(s))}) is charged to the methods that use it (grow from it or distil it). Negative savings: more expensive than ${escape(s.reference)}.</p>`,
    growthList(e),
    wallTimeNote(large, models, s),
    spreadSection(dir),
    '<h2>Validation loss</h2>',
    `<p class="muted">Each method's costs include its growth (the small model's pretraining is not charged here). Dashed: ${escape(s.reference)}'s final loss, the savings target; a diamond marks where a method reaches it. The y axis first shows the range where the lines differ (toggle: full range). Hover a point for its numbers; click a legend entry to hide or show a method.</p>`,
    `<div class="charts">\n${charts(e, s)}\n</div>`,
    '<h2>Training curves of the large models</h2>',
    `<p class="muted">Per update; on the FLOPs and wall-time axes each method's growth comes before its first step. Dotted vertical lines: where a leg was resumed.</p>`,
    X_SWITCH,
    `<div class="charts">\n${runFigures('large', (axes) => trainingCharts(large, 'large models', axes), growth, 'half')}\n</div>`,
    operatorSection(e.spec.methods.map((m) => ({ label: m.label, losses: legGrowth(legDir(dir, m.label))?.operatorLosses }))),
    ...(small ? ["<h2>The small model's pretraining</h2>", `<div class="charts">\n${runFigures('small', (axes) => [{ id: 'val', chart: validationChart([small], 'small model', axes) }, trainingCharts([small], 'small model', axes)[0]!], new Map(), 'half')}\n</div>`] : []),
    '<h2>Configuration</h2>',
    '<p>Settings that differ between the legs (model config, training budget, method):</p>',
    differencesTable(legs.map((l) => ({ label: l.leg, settings: { model: l.config ?? {}, training: l.training, ...(l.method ? { method: { name: l.method.name, options: l.method.options, ki: l.method.ki } } : {}) } }))),
    configSections(e.spec, e.hash, legs),
  ], data);
}

function inProgressNote(text: string | null): string {
  return text === null ? '' : `<p class="note" id="in-progress">${escape(text).replace(/^In progress/, '<b>In progress</b>')}</p>`;
}

/** Learned operators' training loss per step, from the growth's `operatorLosses` when it recorded them; '' otherwise. */
function operatorSection(growths: { label: string; losses: number[] | undefined }[]): string {
  const series = growths.flatMap(({ label, losses }) => (Array.isArray(losses) && losses.length > 0 ? [{ label, points: losses.map((l, i): [number, number] => [i + 1, l]) }] : []));
  if (series.length === 0) return '';
  const chart: LineChart = { title: "operator learning: the large model's loss", xLabel: 'operator step', yLabel: 'training loss', series };
  return `<h2>The operators' learning</h2>\n<div class="charts">\n${figure('operator', [chartWraps(chart, chart.title, {}, false, 'run-svg')])}\n</div>`;
}

/** The config.json of a run's newest checkpoint, or null before it has one. */
function runConfig(dir: string): Record<string, unknown> | null {
  const ckpt = latestCheckpointDir(dir);
  const file = ckpt && join(ckpt, CONFIG_FILE);
  return file && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : null;
}

const costText = (c: Cost) => `${flops(c.flopsElectra)} FLOPs (ELECTRA), ${flops(c.flopsSixN)} (6N), ${seconds(c.wallSeconds)}`;

/** A grown run's lineage: each link (method, options as run, operator steps and cost, the small model and its training), and the options in full. */
function lineageItem(r: PlainRun): string {
  const links = r.chain.slice(1).map((n) => {
    if (n.kind === 'checkpoint') return `<li>from the checkpoint <code>${escape(shownPath(n.dir))}</code> (where it came from is not recorded)</li>`;
    if (n.kind === 'trained') return `<li>from <code>${escape(shownPath(n.dir))}</code> at step ${n.step}, trained on ${escape(n.data === null ? 'unknown data' : [n.data].flat().join(' '))}${n.from ? ` starting from <code>${escape(n.from)}</code>` : ' from scratch'}: ${escape(costText(n.cost))}</li>`;
    const g = n.record;
    const data = g.data !== null ? ` on ${escape([g.data].flat().join(' '))} (batch ${g.batchSize}, sequence length ${g.seqLen})` : '';
    const options = `<details class="options"><summary>options${g.code === null ? ' (as given: this older grow.json has no defaults)' : ', every one as run'}</summary><pre>${json(g.options)}</pre></details>`;
    return `<li><code>${escape(shownPath(n.dir))}</code>: grown by <b>${escape(g.method)}</b> from <code>${escape(g.fromCheckpoint ? shownPath(g.fromCheckpoint) : g.from)}</code>${data}, seed ${g.seed}; ${g.cost.operatorSteps > 0 ? `${g.cost.operatorSteps} operator steps, ` : ''}${escape(costText(g.cost))}; by ${escape(versionText(g.code))}${options}</li>`;
  });
  return `<li><b>${escape(r.label)}</b> <span class="muted">(${escape(methodOf(r))})</span>: growth ${escape(costText(r.growth))}; small model ${escape(costText(r.small))}<ul>${links.join('')}</ul></li>`;
}

function runsSavings(report: PlainReport): string {
  if (!report.savings) return `<p>${escape(report.noSavings!)}</p>`;
  const s = report.savings;
  return [
    `<p>${escape(targetText(s))}</p>`,
    savingsTable(s, []),
    `<p>Each run is charged its growth (every operator in its lineage); the second group also charges the training of the small model it grew from, up to the step grown${report.chargeSmall ? ' (--charge-small: the one the printed table and the charts use)' : ' (--charge-small makes it the printed one)'}. Negative savings: more expensive than ${escape(s.reference)}.</p>`,
  ].join('\n');
}

/** The page of plain training runs (`ligo report RUN...`): status, savings, lineage, curves (x in steps, FLOPs or wall time), their settings. */
export function runsReport(report: PlainReport, command: string): string {
  const runs = report.runs.map((r) => r.curves);
  const configs = report.runs.map((r) => runConfig(r.dir));
  const models = new Map(report.runs.flatMap((r, i) => (configs[i] ? [[r.label, modelName(configs[i]!)] as const] : [])));
  const unfinished = report.runs.filter((r) => r.status.state !== 'finished');
  const title = `${runs.length === 1 ? `Training run ${runs[0]!.label}` : `Training runs ${runs.map((r) => r.label).join(', ')}`}${unfinished.length > 0 ? ' (in progress)' : ''}`;
  const offsets = new Map(report.runs.map((r) => [r.label, charged(r, report.chargeSmall)]));
  const row = (r: PlainRun) => {
    const last = r.curves.train.at(-1);
    const val = r.curves.evals.at(-1);
    const resumed = r.curves.resumes.length > 0 ? `; resumed at step ${r.curves.resumes.join(', ')}` : '';
    const small = r.smallOf.length > 0 ? `small model of ${r.smallOf.join(', ')}` : methodOf(r);
    return `<tr data-label="${escape(r.label)}"><th scope="row">${escape(r.label)}</th><td>${escape(models.get(r.label) ?? '–')}</td><td>${escape(small)}</td><td class="num">${last?.step ?? 0}</td><td class="num">${last ? last.loss.toFixed(4) : '–'}</td><td class="num">${val ? val.valLoss.toFixed(4) : '–'}</td><td class="num">${last ? flops(last.flopsElectra) : '–'}</td><td class="num">${last ? seconds(last.wallSeconds) : '–'}</td><td class="status ${r.status.state}">${escape(statusText(r.status) + resumed)}</td></tr>`;
  };
  const grown = report.runs.filter((r) => r.chain.length > 1);
  const operators = grown.flatMap((r) => r.chain.flatMap((n) => (n.kind === 'grown' ? [{ label: r.label, losses: n.record.cost.operatorLosses }] : [])));
  return page(`ligo report: ${runs.map((r) => r.label).join(', ')}`, [
    `<h1>${escape(title)}</h1>`,
    metadata(runs, command),
    unfinished.length > 0 ? `<p class="note" id="in-progress"><b>In progress</b>: ${escape(unfinished.map((r) => `${r.label} (${statusText(r.status)})`).join(', '))}. Its numbers are as far as it got.</p>` : '',
    '<div class="table-wrap"><table id="runs-table"><thead><tr><th scope="col">run</th><th scope="col">model</th><th scope="col">made by</th><th scope="col">steps</th><th scope="col">last training loss</th><th scope="col">last validation loss</th><th scope="col">FLOPs (ELECTRA)</th><th scope="col">wall time</th><th scope="col">status</th></tr></thead><tbody>',
    ...report.runs.map(row),
    '</tbody></table></div>',
    wallTimeNote(runs, models, report.savings),
    ...(runs.length > 1 ? ['<h2>Savings</h2>', runsSavings(report)] : []),
    ...(grown.length > 0 ? ['<h2>Lineage</h2>', `<ul class="lineage" id="lineage">${grown.map(lineageItem).join('')}</ul>`, operatorSection(operators)] : []),
    '<h2>Curves</h2>',
    `<p class="muted">Per update. On the FLOPs and wall-time axes a grown run's growth${report.chargeSmall ? " and its small model's training" : ''} comes before its first step. Dotted vertical lines: where a run was resumed. The y axis of several runs first shows the range where they differ (toggle: full range); click a legend entry to hide or show a run.</p>`,
    X_SWITCH,
    `<div class="charts">\n${runFigures('run', (axes) => [{ id: 'val', chart: validationChart(runs, 'runs', axes) }], offsets, 'wide')}\n${runFigures('run', (axes) => trainingCharts(runs, 'runs', axes), offsets, 'half')}\n</div>`,
    ...(runs.length > 1 ? ['<h2>Settings that differ</h2>', differencesTable(report.runs.map((r, i) => ({ label: r.label, settings: { flags: r.flags ?? {}, model: configs[i] ?? {} } })))] : []),
    '<h2>Settings</h2>',
    ...report.runs.map((r, i) => `<details><summary>${escape(r.label)} <span class="muted">(${escape(r.dir)})</span></summary>\n<h4>run.json</h4><pre>${json(r.flags ?? {})}</pre>\n<h4>model config</h4><pre>${json(configs[i] ?? {})}</pre>\n</details>`),
  ], { curves: [], runs: report.runs.map((r) => ({ label: r.label, dir: r.dir, status: r.status })) });
}

/** Runs' labels on a page: the last parts of their paths, as few as tell them apart (runs/a, x/train and y/train: a, x/train, y/train). */
export function runLabels(dirs: string[]): string[] {
  const parts = dirs.map((d) => d.split('/').filter((p) => p !== '' && p !== '.'));
  const label = (i: number, n: number) => parts[i]!.slice(-n).join('/') || dirs[i]!;
  return dirs.map((_, i) => {
    let n = 1;
    while (n < parts[i]!.length && dirs.some((_, j) => j !== i && label(j, n) === label(i, n))) n++;
    return label(i, n);
  });
}
