// The layering of src/ as docs/design.md draws it, read from the drawing itself: every src/ folder
// (and src/flops.ts) is a layer drawn there, and every import between two of them goes from a
// higher layer to a lower one (so no cycle anywhere); every layer folder has an index.ts, its
// public surface, and an import from another layer names that index.ts, never a file behind it;
// the optimizer (src/optim) sits below both growth (src/grow) and training (src/train); native/,
// drawn below them all, is reached from the tensor layer alone, and only through
// native/up-to-date.mjs (the addon itself is loaded by path); and the method registry, imported on
// its own (this file imports nothing else from src/), knows every method, LiGO included.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getMethod, methodNames } from '../src/grow/registry.ts';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative module a file names: static imports and re-exports (type-only ones too unless `types` is false) and dynamic import(). */
function importsOf(file: string, types = true): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const patterns = [/^\s*(?:import|export)\b(\s*type\b)?[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import()\s*['"]([^'"]+)['"]/gm, /\bimport\(()\s*['"]([^'"]+)['"]\s*\)/g];
  const specs = patterns.flatMap((re) => [...text.matchAll(re)].filter((m) => types || !m[1]).map((m) => m[2]!));
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(src, resolve(dirname(file), s)));
}

/** The first folder of a path relative to src/; 'native' for the addon's folder beside src/. */
const folder = (path: string) => (path.startsWith(`../${NATIVE}/`) ? NATIVE : path.includes('/') ? path.slice(0, path.indexOf('/')) : path);

/** src/ folder -> the src/ folders (and native/) its files import. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of tsFiles(src)) {
    const from = folder(relative(src, file));
    const deps = graph.get(from) ?? new Set<string>();
    for (const to of importsOf(file).map(folder)) if (to !== from) deps.add(to);
    graph.set(from, deps);
  }
  return graph;
}

/** Whether `to` is reachable from `from` along the graph's edges. */
function reaches(graph: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const at = stack.pop()!;
    for (const next of graph.get(at) ?? []) {
      if (next === to) return true;
      if (!seen.has(next)) stack.push(next), seen.add(next);
    }
  }
  return false;
}

test('the import parser sees static, type-only, re-exported and dynamic imports', () => {
  const ligo = importsOf(join(src, 'grow', 'ligo', 'ligo.ts'));
  assert.ok(ligo.includes('optim/index.ts'), ligo.join(', '));
  assert.ok(ligo.includes('grow/ligo/io.ts'));
  assert.ok(importsOf(join(src, 'train', 'loop.ts')).includes('grow/index.ts'));
  assert.ok(!importsOf(join(src, 'train', 'loop.ts'), false).includes('grow/index.ts'), 'loop.ts imports types only from grow/');
  assert.ok(importsOf(join(src, 'cli', 'grow.ts')).includes('grow/index.ts'));
  assert.ok(importsOf(join(src, 'models', 'index.ts')).includes('models/bert.ts'), 'a re-export over several lines');
});

/** What docs/design.md draws, top to bottom: the names opening the lines of its first code block, src/'s layers (flops: src/flops.ts) and then the folder below them, native/. */
function drawing(): { layers: string[]; below: string } {
  const design = fs.readFileSync(join(src, '..', 'docs', 'design.md'), 'utf8');
  const block = /```\n([\s\S]*?)```/.exec(design)![1]!;
  const names = block.split('\n').map((line) => /^\s*(?:└ )?([a-z]+)(\/?)/.exec(line)).filter((m) => m !== null);
  const below = names.findIndex((m) => m[2] === '/');
  return { layers: names.slice(0, below).map((m) => m[1]!), below: names[below]![1]! };
}

/** Top to bottom: the package entry (src/index.ts), then docs/design.md's layers; native/ below them all. */
const DRAWN = drawing();
const LAYERS = ['index', ...DRAWN.layers];
const NATIVE = DRAWN.below;
const ORDER = [...LAYERS, NATIVE];
const layerOf = (f: string) => f.replace(/\.ts$/, '');

test('docs/design.md draws every layer of src/, once', () => {
  assert.deepEqual([...LAYERS.slice(0, 3), NATIVE], ['index', 'cli', 'report', 'native'], 'the drawing is read');
  const folders = fs.readdirSync(src).map(layerOf).sort();
  assert.deepEqual([...LAYERS].sort(), folders, 'the drawn layers are the folders of src/ (and index.ts, flops.ts)');
});

test("every import between src/ folders points down docs/design.md's order of layers", () => {
  const up: string[] = [];
  for (const [from, deps] of folderGraph()) {
    for (const to of deps) if (ORDER.indexOf(layerOf(to)) <= ORDER.indexOf(layerOf(from))) up.push(`${from} -> ${to}`);
  }
  assert.deepEqual(up, [], 'imports that point up or sideways');
});

test("every layer folder has an index.ts, and other layers import it, not the files behind it", () => {
  const folders = fs.readdirSync(src, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const commands = 'cli'; // the top layer: bin/ligo.js runs cli/main.ts, and no layer imports it
  assert.deepEqual(folders.filter((f) => f !== commands && !fs.existsSync(join(src, f, 'index.ts'))), [], 'folders without index.ts');
  const inside: string[] = [];
  for (const file of tsFiles(src)) {
    const from = relative(src, file);
    for (const to of importsOf(file)) {
      if (folder(to) === NATIVE) {
        if (folder(from) !== 'tensor' || to !== `../${NATIVE}/up-to-date.mjs`) inside.push(`${from} -> ${to}`);
      } else if (to.includes('/') && to.split('/')[0] !== from.split('/')[0] && !/^[a-z]+\/index\.ts$/.test(to)) inside.push(`${from} -> ${to}`);
    }
  }
  assert.deepEqual(inside, [], "imports of another layer's files (or of native/ other than the tensor layer's of up-to-date.mjs)");
});

test('src/optim is below grow and train; grow never reaches train, so the two form no cycle', () => {
  const graph = folderGraph();
  assert.ok(graph.get('grow')!.has('optim') && graph.get('train')!.has('optim'), 'grow and train both use src/optim');
  assert.equal(reaches(graph, 'optim', 'grow') || reaches(graph, 'optim', 'train'), false, 'src/optim imports neither grow nor train');
  assert.equal(reaches(graph, 'grow', 'train'), false, `src/grow reaches src/train through ${[...graph.get('grow')!].join(', ')}`);
});

test('the registry module alone knows every method, LiGO included', () => {
  assert.ok(methodNames().includes('ligo'), methodNames().join(', '));
  assert.equal(getMethod('ligo').needsData, true);
  assert.ok(methodNames().includes('stackbert'));
});

/** One import cycle of `graph` (module -> the modules it imports) as [a, b, ..., a], or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (at: string): string[] | null => {
    if (path.includes(at)) return [...path.slice(path.indexOf(at)), at];
    if (done.has(at)) return null;
    path.push(at);
    for (const next of graph.get(at) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(at);
    return null;
  };
  for (const start of graph.keys()) {
    const cycle = visit(start);
    if (cycle) return cycle;
  }
  return null;
}

test('no import cycle among the files of src/, inside a layer or across (type-only imports, erased when compiled, aside)', () => {
  assert.deepEqual(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['b']]])), ['b', 'c', 'b'], 'the search finds a cycle');
  assert.equal(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), null);
  const graph = new Map(tsFiles(src).map((file) => [relative(src, file), importsOf(file, false)]));
  const cycle = findCycle(graph);
  assert.equal(cycle, null, `src/ imports in a cycle: ${cycle?.join(' -> ')}`);
});
