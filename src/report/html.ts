// report.html (`ligo report DIR --html`): one self-contained page for an experiment, nothing
// fetched (inline CSS and JS, the data embedded as JSON). It shows what results.md and the plots
// show, from the same Savings object and the same chart code (writeReport passes them in):
//
//   - the savings table: one row per method, cost and saved in both FLOP conventions and wall
//     time, with the small model taken as already trained and with its pretraining charged;
//   - validation loss vs FLOPs (a toggle between the ELECTRA and 6N conventions) and vs wall
//     time: lineChartSvg's SVG, scripted by html-script.ts (hover a point for its numbers, click
//     a legend entry to hide or show a method);
//   - the configuration: the spec, and per leg its model config (the config.json of its latest
//     checkpoint, or resolved from the spec while it has none) and its training budget, in
//     collapsible sections.

import fs from 'node:fs';
import { join, relative } from 'node:path';
import { CONFIG_FILE } from '../io/checkpoint.ts';
import { latestCheckpointDir } from '../train/index.ts';
import { legDir, methodBudget, resolveModels, smallDir, trainDir, type ExperimentSpec, type MethodSpec, type TrainingBudget } from '../experiment/index.ts';
import { lineChartSvg } from './chart.ts';
import { lossChart, type CostAxis, type ExperimentCurves } from './curves.ts';
import { costKeys, type Cost, type MethodSavings, type Savings } from './savings.ts';
import { NOT_REACHED, finalLoss, flops, percent, seconds, smallCostText, targetText } from './table.ts';
import { HTML_SCRIPT } from './html-script.ts';

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

function tableRow(m: MethodSavings, reference: string): string {
  const step = m.reach ? `<td class="num">${Math.round(m.reach.step)}</td>` : `<td class="not-reached">${NOT_REACHED}</td>`;
  const name = `${escape(m.label)}${m.method !== m.label ? ` <span class="method">(${escape(m.method)})</span>` : ''}${m.label === reference ? ' <span class="ref">reference</span>' : ''}`;
  return `<tr data-label="${escape(m.label)}"><th scope="row">${name}</th><td class="num">${finalLoss(m.finalValLoss)}</td>${step}${costCells(m.costWithoutSmall, m.savingsWithoutSmall)}${costCells(m.costWithSmall, m.savingsWithSmall)}</tr>`;
}

function savingsTable(s: Savings): string {
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
    ...s.methods.map((m) => tableRow(m, s.reference)),
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

function chartSvg(e: ExperimentCurves, s: Savings, axis: CostAxis, hidden: boolean): string {
  const svg = lineChartSvg(lossChart(e, s, axis)).replace('<svg ', `<svg class="chart-svg" role="img" aria-label="${escape(`validation loss vs ${AXIS_ARIA[axis]}`)}" `);
  return `<div class="svg-wrap" data-axis="${axis}"${hidden ? ' hidden' : ''}>\n${svg}</div>`;
}

function charts(e: ExperimentCurves, s: Savings): string {
  const toggle = (['flopsElectra', 'flopsSixN'] as const)
    .map((axis, i) => `<label><input type="radio" name="flops-convention" value="${axis}"${i === 0 ? ' checked' : ''}> ${AXIS_NAMES[axis]}</label>`)
    .join('');
  return [
    '<figure class="chart" id="chart-flops">',
    `<div class="controls" role="radiogroup" aria-label="FLOP convention">FLOP convention: ${toggle}</div>`,
    chartSvg(e, s, 'flopsElectra', false),
    chartSvg(e, s, 'flopsSixN', true),
    '</figure>',
    '<figure class="chart" id="chart-wall">',
    chartSvg(e, s, 'wallSeconds', false),
    '</figure>',
  ].join('\n');
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
figure.chart { margin: 0; flex: 1 1 720px; max-width: 880px; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
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
`;

/** The page for experiment `e` with savings `s` (from writeReport), its configs read from `dir`. */
export function htmlReport(dir: string, e: ExperimentCurves, s: Savings): string {
  const legs = legConfigs(dir, e.spec);
  const data = { experiment: e.spec.name, specHash: e.hash, savings: s, curves: e.curves, reference: e.reference, spec: e.spec, legs };
  const embedded = JSON.stringify(data).replace(/</g, '\\u003c');
  const name = escape(e.spec.name);
  const methods = e.curves.length < e.spec.methods.length ? `${e.curves.length} of ${e.spec.methods.length} methods with results so far` : `${e.spec.methods.length} methods`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>ligo report: ${name}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>Experiment ${name}</h1>`,
    `<p class="meta">spec ${escape(e.hash)} · data ${escape(e.spec.data)} · sequence length ${e.spec.seqLen} · ${methods}</p>`,
    '<h2>Savings</h2>',
    `<p>${escape(targetText(s))}</p>`,
    savingsTable(s),
    `<p>The small model's pretraining (${escape(smallCostText(s))}) is charged to the methods that use it (grow from it or distil it). Negative savings: more expensive than ${escape(s.reference)}.</p>`,
    growthList(e),
    '<h2>Validation loss</h2>',
    `<p class="muted">Each method's costs include its growth (the small model's pretraining is not charged here). Dashed: ${escape(s.reference)}'s final loss, the savings target. Hover a point for its numbers; click a legend entry to hide or show a method.</p>`,
    `<div class="charts">\n${charts(e, s)}\n</div>`,
    '<h2>Configuration</h2>',
    configSections(e.spec, e.hash, legs),
    '</main>',
    '<div id="tooltip" role="tooltip" hidden></div>',
    `<script type="application/json" id="report-data">${embedded}</script>`,
    `<script>${HTML_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
