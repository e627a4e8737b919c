// report.html (`ligo report DIR --html`) in a real headless Chromium (playwright-core, Debian's
// /usr/bin/chromium; skipped with the reason when it is missing): on a tiny real run (small
// model, scratch, LiGO, StackBERT, KI), the page is self-contained (nothing fetched but itself),
// raises no console or page errors, embeds the savings results.json has, shows one table row per
// method, one line per method plus the dashed target in each chart, switches the x axis with the
// FLOP convention toggle, hides and shows a method from its legend entry, shows a point's numbers
// on hover, switches the y range between where the lines differ and the full range, marks where
// each method reaches the target, names the models and the page's metadata, draws the large
// models' training curves and the small model's pretraining, tables the settings that differ, and
// lists the configs; on the hand-written run (fixture), its table says what results.md says, "not
// reached" included, and a results.json with seeds and the unigram line shows their spread.
// `ligo report RUN RUN --html` on two training runs writes their page of curves into a folder of
// its own, charts at the 1,280 px page's width, the x-axis switch moving every run chart between
// steps, FLOPs and wall time; the wall-time note appears when throughputs or savings disagree. Screenshots:
// test-artifacts/report.png, test-artifacts/report-runs.png.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseSpec, runExperiment } from '../src/experiment/index.ts';
import { HTML_REPORT, computeSavings, htmlReport, readCurves, writeReport } from '../src/report/index.ts';
import { tinySpec, writeFakeRun } from './run-fixtures.ts';
import { CHROMIUM, chromiumSkip } from './optional.ts';

const ROOT = join(import.meta.dirname, '..');
const SCREENSHOT = join(ROOT, 'test-artifacts', 'report.png');
const skip = chromiumSkip;
if (skip) process.stderr.write(`report-html.test.ts: skipping the browser checks: ${skip}\n`);

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-report-html-'));
const realRun = join(tmp, 'real');
const METHODS = ['scratch', 'ligo', 'stackbert', 'ki'];
let browser: Browser | null = null;

before(() => {
  const s = tinySpec();
  const training = { ...s.small.training, steps: 8, saveEvery: 8 };
  Object.assign(s, { small: { ...s.small, training }, large: { ...s.large, training } });
  s.methods = [{ name: 'scratch' }, { name: 'ligo', options: { steps: 2 } }, { name: 'stackbert' }, { name: 'scratch', label: 'ki', ki: { alpha: 0.5 } }];
  runExperiment(parseSpec(s), realRun);
});

after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function launch(): Promise<Browser> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  return browser;
}

interface Opened {
  page: Page;
  errors: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

async function open(file: string): Promise<Opened> {
  const page = await (await launch()).newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, errors, requests };
}

test('ligo report DIR --html writes one self-contained page embedding the savings of results.json', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ligo.js'), 'report', realRun, '--html'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote .*report\.html/);
  assert.match(r.stdout, /open file:\/\/.*report\.html in a browser/);
  const html = fs.readFileSync(join(realRun, HTML_REPORT), 'utf8');
  assert.deepEqual(html.match(/(?:src|href)="[^"]*"/g), ['href="data:,"'], 'nothing to load but an empty data: icon');
  assert.deepEqual([...new Set(html.match(/\bhttps?:\/\/[^\s"'<)]+/g))], ['http://www.w3.org/2000/svg'], 'no URL but the SVG namespace');
  const embedded = JSON.parse(html.match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)![1]!);
  const results = JSON.parse(fs.readFileSync(join(realRun, 'results.json'), 'utf8'));
  results.methods = results.methods.map(({ spread, ...m }: { spread: unknown }) => m);
  for (const k of ['reference', 'targetLoss', 'small', 'methods'] as const) assert.deepEqual(embedded.savings[k], results[k], k);
});

test('report.html in Chromium: table, charts, FLOP toggle, legend, hover, configs', { skip }, async () => {
  writeReport(realRun, { html: true });
  const { page, errors, requests } = await open(join(realRun, HTML_REPORT));
  try {
    assert.deepEqual(await page.$$eval('#savings-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-label'))), METHODS, 'one table row per method');

    const axes = await page.$$eval('.svg-wrap[data-axis]', (ws) => ws.map((w) => w.getAttribute('data-axis')));
    assert.deepEqual([...new Set(axes)], ['flopsElectra', 'flopsSixN', 'wallSeconds'], 'FLOPs (ELECTRA), FLOPs (6N), wall time');
    const svgs = page.locator('svg.chart-svg');
    for (let i = 0; i < (await svgs.count()); i++) {
      const svg = svgs.nth(i);
      assert.deepEqual(await svg.locator('polyline.series').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-label'))), METHODS, `chart ${i}: one line per method`);
      assert.equal(await svg.locator('line.target').count(), 1, `chart ${i}: the target line`);
      assert.equal(await svg.locator('line.target').getAttribute('stroke-dasharray'), '6 4', `chart ${i}: dashed`);
      assert.equal(await svg.locator('.legend-entry').count(), METHODS.length, `chart ${i}: a legend entry per method`);
    }

    // The FLOP convention toggle swaps the x axis of the FLOPs chart.
    const flops = page.locator('#chart-flops');
    const xAxis = () => flops.locator('.svg-wrap:not([hidden]) svg').evaluate((svg) => ({ title: svg.querySelector('.x-title')!.textContent!, ticks: [...svg.querySelectorAll('.x-tick')].map((t) => t.textContent!) }));
    const electra = await xAxis();
    assert.match(electra.title, /ELECTRA convention/);
    await flops.getByRole('radio', { name: '6N' }).check();
    const sixN = await xAxis();
    assert.match(sixN.title, /6N convention/);
    assert.notDeepEqual(sixN.ticks, electra.ticks, 'the 6N FLOPs are larger: other ticks');
    assert.equal(await flops.locator('.svg-wrap:not([hidden])').count(), 1);
    await flops.getByRole('radio', { name: 'ELECTRA' }).check();
    assert.deepEqual(await xAxis(), electra);

    // A legend entry hides and shows its method's line.
    const wall = page.locator('#chart-wall .svg-wrap:not([hidden]) svg');
    const line = (label: string) => wall.locator(`polyline[data-label="${label}"]`);
    await wall.locator('.legend-entry[data-label="ligo"]').click();
    assert.equal(await line('ligo').isVisible(), false, 'ligo hidden');
    for (const m of METHODS.filter((m) => m !== 'ligo')) assert.equal(await line(m).isVisible(), true, `${m} still shown`);
    await wall.locator('.legend-entry[data-label="ligo"]').click();
    assert.equal(await line('ligo').isVisible(), true, 'ligo shown again');

    // Hover: the nearest point's method, step, loss and FLOPs (lines may overlap: whichever point is highlighted).
    await wall.locator('.series-group[data-label="stackbert"] circle.point').last().hover();
    const tip = page.locator('#tooltip');
    assert.equal(await tip.isVisible(), true);
    const hovered = await wall.locator('circle.point.hover').evaluate((c) => ({ label: c.parentElement!.getAttribute('data-label')!, i: Number(c.getAttribute('data-i')) }));
    const point = readCurves(realRun).curves.find((c) => c.label === hovered.label)!.points[hovered.i]!;
    const text = await tip.innerText();
    assert.match(text, new RegExp(`^${hovered.label}\\b`));
    assert.match(text, new RegExp(`step ${point.step}, validation loss ${point.valLoss.toFixed(4)}`));
    assert.match(text, /FLOPs \d\.\d\de\+\d+ \(ELECTRA\), \d\.\d\de\+\d+ \(6N\)/);

    // The configs: the spec and each leg's model config, collapsed until opened.
    const details = page.locator('details');
    assert.equal(await details.count(), 2 + METHODS.length, 'the spec, the small model, one per method');
    const ligo = details.filter({ hasText: /^ligo/ });
    assert.equal(await ligo.locator('pre').first().isVisible(), false, 'collapsed');
    await ligo.locator('summary').click();
    assert.match(await ligo.innerText(), /"num_hidden_layers": 2/);
    assert.match(await ligo.innerText(), /from legs\/ligo\/train\/checkpoints\/step-000008\/config\.json/);

    // The y range: where the lines differ first, the full range on request (other y ticks).
    const yTicks = () => wall.evaluate((svg) => [...svg.querySelectorAll('text[text-anchor="end"]')].map((t) => t.textContent));
    if ((await page.locator('#chart-wall input[data-key="range"]').count()) > 0) {
      const zoomed = await yTicks();
      await page.locator('#chart-wall').getByRole('radio', { name: 'full' }).check();
      assert.notDeepEqual(await yTicks(), zoomed, 'the full range has other y ticks');
      assert.equal(await page.locator('#chart-wall .svg-wrap:not([hidden])').count(), 1);
      await page.locator('#chart-wall').getByRole('radio', { name: 'where the lines differ' }).check();
      assert.deepEqual(await yTicks(), zoomed);
    }
    // A diamond where each method reaches the target (scratch, the reference, reaches it at its end).
    const reached = readCurves(realRun);
    const savings = computeSavings(reached.curves, reached.reference, reached.small);
    const reaching = savings.methods.filter((m) => m.costWithoutSmall !== null).map((m) => m.label);
    assert.deepEqual(await wall.locator('path.marker').evaluateAll((ms) => ms.map((m) => m.parentElement!.getAttribute('data-label'))), reaching);
    assert.match(await wall.locator('path.marker title').first().textContent() ?? '', /reaches the target at /);
    // Models, metadata, training curves, the small model's pretraining, the differences table.
    assert.match(await page.locator('#models').innerText(), /^Models: small BertForMaskedLM 1L-\d+H-\d+A-\d+F \([\d,]+ parameters\), grown into large BertForMaskedLM 2L-/);
    assert.match(await page.locator('p.meta').nth(1).innerText(), /^generated \d{4}-\d\d-\d\dT.* by ligo \d+\.\d+\.\d+( \(commit [0-9a-f]{10}\))? · backend (native|reference) \(from the logs\) · command: ligo experiment /);
    for (const id of ['large-train-loss', 'large-lr', 'large-grad-norm', 'large-throughput', 'small-val', 'small-train-loss', 'operator']) {
      assert.equal(await page.locator(`#${id} .svg-wrap:not([hidden]) polyline.series`).count() > 0, true, `${id} has lines`);
    }
    assert.deepEqual(await page.locator('#large-lr .svg-wrap:not([hidden]) polyline.series').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-label'))), METHODS);
    const differences = await page.$$eval('table.differences tbody th', (ths) => ths.map((th) => th.textContent));
    assert.ok(differences.includes('model.num_hidden_layers') && differences.includes('method.name'), `differences: ${differences.join(', ')}`);
    await wall.locator('.series-group[data-label="ligo"] circle.point').nth(1).hover({ force: true });
    fs.mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual([...new Set(requests)], [pathToFileURL(join(realRun, HTML_REPORT)).href], 'the page loads nothing but itself');
  } finally {
    await page.close();
  }
});

/** The cells of results.md's two tables, by method: [without small, with small]; not the last column (the growth's share of scratch's FLOPs, which the page does not show). */
function markdownRows(md: string): Map<string, string[][]> {
  const rows = new Map<string, string[][]>();
  for (const line of md.split('\n').filter((l) => /^\| (?!method|---)/.test(l))) {
    const cells = line.split('|').slice(1, -2).map((c) => c.trim());
    rows.set(cells[0]!, [...(rows.get(cells[0]!) ?? []), cells]);
  }
  return rows;
}

test('report.html says what results.md says, "not reached" included', { skip }, async () => {
  const dir = writeFakeRun(join(tmp, 'fake'));
  writeReport(dir, { html: true });
  const md = markdownRows(fs.readFileSync(join(dir, 'results.md'), 'utf8'));
  const { page, errors } = await open(join(dir, HTML_REPORT));
  try {
    const rows = await page.$$eval('#savings-table tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-label')!, ...[...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())]));
    assert.deepEqual(rows.map((r) => r[0]), ['scratch', 'ligo', 'stackbert', 'ki']);
    for (const [label, ...cells] of rows) {
      const [without, withSmall] = md.get(label!)!;
      if (without![2] === 'not reached') {
        assert.deepEqual(cells, [without![1], 'not reached', 'not reached', 'not reached'], label);
        continue;
      }
      assert.deepEqual(cells, [...without!.slice(1), ...withSmall!.slice(3)], label);
    }
    assert.equal(rows.find((r) => r[0] === 'stackbert')![2], 'not reached');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('a results.json with seeds and the unigram line, a growth.json with the operator\'s losses: their spread, the line and the curve on the page', { skip }, async () => {
  const dir = writeFakeRun(join(tmp, 'fake-seeds'));
  const growth = join(dir, 'legs', 'ligo', 'growth.json');
  fs.writeFileSync(growth, JSON.stringify({ ...JSON.parse(fs.readFileSync(growth, 'utf8')), operatorLosses: [7.1, 6.8, 6.6, 6.5] }));
  writeReport(dir, { html: true });
  const results = JSON.parse(fs.readFileSync(join(dir, 'results.json'), 'utf8'));
  results.unigramLoss = 7.25;
  results.seeds = [0, 1, 2];
  const sp = (mean: number, sd: number, min: number, max: number) => ({ mean, sd, min, max, n: 3 });
  const perCost = (v: ReturnType<typeof sp> | null) => ({ flopsElectra: v, flopsSixN: v, wallSeconds: v });
  for (const m of results.methods) delete m.spread;
  results.methods[1].spread = { label: results.methods[1].label, method: 'ligo', seeds: 3, reached: 2, finalValLoss: sp(5.5, 0.1, 5.4, 5.6), costToTarget: perCost(sp(2e12, 1e11, 1.9e12, 2.1e12)), savingsWithoutSmall: perCost(sp(0.25, 0.05, 0.2, 0.3)), savingsWithSmall: perCost(null), growthShare: perCost(sp(0.02, 0, 0.02, 0.02)), headStart: null };
  fs.writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
  const e = readCurves(dir);
  fs.writeFileSync(join(dir, HTML_REPORT), htmlReport(dir, e, computeSavings(e.curves, e.reference, e.small)));
  const { page, errors } = await open(join(dir, HTML_REPORT));
  try {
    assert.match(await page.locator('body').innerText(), /Unigram line: a model that ignores the context reaches validation loss 7\.2500/);
    assert.deepEqual(await page.$$eval('#spread-table tbody tr', (trs) => trs.map((tr) => tr.textContent)), [`${results.methods[1].label}2 / 35.500 ± 0.100 [5.400, 5.600]2.00e+12 ± 1.00e+11 [1.90e+12, 2.10e+12]25.0% ± 5.0% [20.0%, 30.0%]2.0% ± 0.0% [2.0%, 2.0%]`]);
    assert.deepEqual(await page.locator('#operator .svg-wrap:not([hidden]) polyline.series').evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-label'), l.getAttribute('points')!.split(' ').length])), [['ligo', 4]]);
    assert.match(await page.locator('#in-progress').innerText(), /^In progress: small \(not started\), scratch \(not started\), ligo/, 'legs without done.json are in progress');
    assert.equal(await page.locator('#savings-table .in-progress').count(), 4, 'and say so in their rows');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('ligo report RUN RUN --html: a summary on stdout and the page of the runs\' curves, in a folder of its own, at the page\'s width, x in steps, FLOPs or wall time', { skip }, async () => {
  const runs = ['scratch', 'ki'].map((l) => join(realRun, 'legs', l, 'train'));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ligo.js'), 'report', ...runs, '--html'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^run +steps +train loss +val loss +FLOPs \(ELECTRA\) +wall time +status$/m);
  assert.deepEqual(r.stdout.split('\n').filter((l) => / +8 +\d+\.\d{4} +\d+\.\d{4} .* finished$/.test(l)).map((l) => l.split(' ')[0]), ['scratch/train', 'ki/train'], 'one line per run, labelled by as much of its path as tells them apart');
  const pageDir = join(realRun, 'legs', 'report-scratch-train+ki-train');
  assert.ok(runs.every((d) => !fs.existsSync(join(d, HTML_REPORT))), 'a page of several runs goes into none of them');
  const { page, errors } = await open(join(pageDir, HTML_REPORT));
  try {
    assert.equal(await page.locator('#runs-table tbody tr').count(), 2);
    for (const id of ['run-val', 'run-train-loss', 'run-lr', 'run-grad-norm', 'run-throughput']) assert.equal(await page.locator(`#${id} .svg-wrap:not([hidden]) polyline.series`).count(), 2, id);
    const width = async (id: string) => (await page.locator(`#${id} .svg-wrap:not([hidden]) svg`).boundingBox())!.width;
    assert.ok((await width('run-val')) > 1100, `the validation chart fills the 1,280 px page: ${await width('run-val')} px`);
    assert.ok((await width('run-lr')) > 540, `two training charts share a row: ${await width('run-lr')} px`);
    const xTitle = () => page.locator('#run-val .svg-wrap:not([hidden]) text.x-title').textContent();
    assert.equal(await xTitle(), 'step');
    await page.locator('.page-controls input[value="flopsElectra"]').check();
    assert.match((await xTitle()) ?? '', /^FLOPs, growth \+ training \(ELECTRA convention\)/);
    assert.match((await page.locator('#run-lr .svg-wrap:not([hidden]) text.x-title').textContent()) ?? '', /ELECTRA/, 'the switch moves every run chart');
    await page.locator('.page-controls input[value="step"]').check();
    assert.equal(await page.getByText('No setting differs between them.').count(), 1, 'two legs of one experiment: same model, no run.json');
    const legend = page.locator('#run-lr .svg-wrap:not([hidden]) .legend-entry').first();
    await legend.click();
    assert.equal(await page.locator('#run-lr .svg-wrap:not([hidden]) .series-group.off').count(), 1, 'a legend entry hides its run');
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'report-runs.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('the wall-time note: same model at throughputs more than 15% apart, or wall-time savings far from FLOPs savings', async () => {
  const { wallTimeNote } = await import('../src/report/html.ts');
  const run = (label: string, tps: number) => ({ label, dir: label, evals: [], backends: [], resumes: [], train: [1, 2, 3].map((step) => ({ type: 'train' as const, step, loss: 1, lr: 1, gradNorm: 1, tokens: 0, tokensPerSecond: tps, flopsElectra: 0, flopsSixN: 0, wallSeconds: 0 })) });
  const models = new Map([['a', 'M'], ['b', 'M'], ['c', 'N']]);
  assert.equal(wallTimeNote([run('a', 1000), run('b', 1100), run('c', 5000)], models, null), '', 'within 15%; another model may differ');
  assert.match(wallTimeNote([run('a', 1000), run('b', 1200)], models, null), /b and a train the same model at 1200 and 1000 tokens\/s \(median\)/);
  const cost = { flopsElectra: 0.368, flopsSixN: 0.37, wallSeconds: 0.466 };
  const savings = { reference: 'a', targetLoss: 1, small: { flopsElectra: 0, flopsSixN: 0, wallSeconds: 0 }, methods: [{ label: 'ligo', method: 'ligo', finalValLoss: 1, reach: null, costWithoutSmall: null, costWithSmall: null, savingsWithoutSmall: cost, savingsWithSmall: null, growthShare: null, headStart: null }] };
  assert.match(wallTimeNote([], models, savings), /ligo saves 46\.6% of the wall time but 36\.8% of the FLOPs/);
});
