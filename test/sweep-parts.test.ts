// scripts/sweep-parts.ts on fake run directories (no training): `split` gives every part the
// spec's reference method and every PARTS-th other method; `reuse` claims each part for its spec
// and hard-links, from a finished run of the same setting, each seed's small model and unigram
// line and every leg whose method the part holds unchanged, and refuses a run of another setting,
// one that lacks a seed of the sweep or one whose first seed (which fixes the validation set)
// differs, naming what differs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { claimDir } from '../src/experiment/claim.ts';
import { DONE_FILE, legDir, smallDir } from '../src/experiment/layout.ts';
import { parseSpec } from '../src/experiment/spec.ts';
import { UNIGRAM_FILE } from '../src/experiment/unigram.ts';
import { tinySpec } from './run-fixtures.ts';

const ROOT = join(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-sweep-parts-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function parts(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'sweep-parts.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A finished run of `spec` in dir: spec.json, and per seed a small model, a unigram line and a done leg per method. */
function finishedRun(dir: string, spec: Record<string, any>): void {
  claimDir(dir, parseSpec(spec));
  for (const seed of spec.seeds as number[]) {
    const root = join(dir, 'seeds', String(seed));
    fs.mkdirSync(join(smallDir(root), 'train'), { recursive: true });
    fs.writeFileSync(join(smallDir(root), DONE_FILE), JSON.stringify({ valLoss: 6 + seed }));
    fs.writeFileSync(join(root, UNIGRAM_FILE), '{}');
    for (const m of spec.methods as { name: string; label?: string }[]) {
      fs.mkdirSync(legDir(root, m.label ?? m.name), { recursive: true });
      fs.writeFileSync(join(legDir(root, m.label ?? m.name), DONE_FILE), JSON.stringify({ valLoss: 5 + seed }));
    }
  }
}

const row = () => ({ ...tinySpec(), name: 'row', seeds: [0, 1], methods: [{ name: 'scratch' }, { name: 'ligo', options: { steps: 2 } }, { name: 'stackbert' }] });
// The sweep keeps scratch and ligo as the row ran them, changes stackbert's training (so its leg is not the row's) and adds two methods.
const sweep = () => ({ ...row(), name: 'sweep', methods: [{ name: 'scratch' }, { name: 'ligo', options: { steps: 2 } }, { name: 'stackbert', training: { lr: 1e-3 } }, { name: 'ligo', label: 'ligo-b8', options: { steps: 2, batchSize: 8 } }, { name: 'ligo', label: 'ligo-s1', options: { steps: 1 } }] });

test('split, then reuse: each part claimed, the row\'s small models and unchanged legs linked, new methods left to train', () => {
  const from = join(tmp, 'row');
  finishedRun(from, row());
  const specPath = join(tmp, 'sweep.json');
  fs.writeFileSync(specPath, JSON.stringify(sweep()));
  const out = join(tmp, 'sweep');
  assert.equal(parts('split', specPath, '2', out).code, 0);
  const labels = (k: number) => (JSON.parse(fs.readFileSync(join(out, `part-${k}.json`), 'utf8')).methods as { name: string; label?: string }[]).map((m) => m.label ?? m.name);
  assert.deepEqual([labels(0), labels(1)], [['scratch', 'ligo', 'ligo-b8'], ['scratch', 'stackbert', 'ligo-s1']]);
  const r = parts('reuse', from, '2', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /part-0: reused scratch, ligo and the small models of seeds 0, 1/);
  for (const seed of [0, 1]) {
    const root = (k: number) => join(out, `part-${k}`, 'seeds', String(seed));
    const same = (a: string, b: string) => fs.statSync(a).ino === fs.statSync(b).ino;
    assert.ok(same(join(smallDir(root(1)), DONE_FILE), join(smallDir(join(from, 'seeds', String(seed))), DONE_FILE)), 'the small model is the row\'s (hard link)');
    assert.ok(fs.existsSync(join(root(0), UNIGRAM_FILE)));
    assert.deepEqual(fs.readdirSync(join(root(0), 'legs')).sort(), ['ligo', 'scratch']);
    assert.deepEqual(fs.readdirSync(join(root(1), 'legs')), ['scratch'], 'stackbert trains again: the sweep changed its training');
  }
  assert.equal(JSON.parse(fs.readFileSync(join(out, 'part-1', 'spec.json'), 'utf8')).spec.name, 'sweep', 'the part is claimed for its own spec');
});

test('reuse refuses a run of another setting, one without every seed of the sweep, or one with another first seed, naming what differs', () => {
  const other = join(tmp, 'other-row');
  finishedRun(other, { ...row(), seqLen: 32 });
  const fewer = join(tmp, 'one-seed-row');
  finishedRun(fewer, { ...row(), seeds: [0, 2] });
  const specPath = join(tmp, 'sweep2.json');
  fs.writeFileSync(specPath, JSON.stringify(sweep()));
  const out = join(tmp, 'sweep2');
  assert.equal(parts('split', specPath, '1', out).code, 0);
  const a = parts('reuse', other, '1', out);
  assert.equal(a.code, 1);
  assert.match(a.err, /ran another setting than .*part-0\.json \(first difference: seqLen\): its legs cannot be reused/);
  const b = parts('reuse', fewer, '1', out);
  assert.equal(b.code, 1);
  assert.match(b.err, /holds no seed 1: reuse needs every seed of the sweep/);
  const later = join(tmp, 'later-first-seed-row');
  finishedRun(later, { ...row(), seeds: [1, 0] });
  const c = parts('reuse', later, '1', out);
  assert.equal(c.code, 1);
  assert.match(c.err, /ran another setting than .*part-0\.json \(first difference: seed\)/, 'the first seed fixes the validation set every seed scores');
  assert.ok(!fs.existsSync(join(out, 'part-0')), 'nothing claimed or linked when refused');
});
