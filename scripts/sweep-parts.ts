// Splits an experiment spec into parts that run in parallel, and merges their legs back.
//
// A run directory is locked by one process, so a sweep with many methods (issue 26's operator
// sweep, experiments/sweep-bert-operator.json) runs as PARTS specs in PARTS directories, one thread
// each: every part keeps the spec's name, data, seeds, small and large models and its reference
// method (src/experiment/spec.ts isReference: the plain scratch run savings are measured against),
// and takes every PARTS-th of the other methods. Each part trains its own small model (the same
// seed and thread count give the same weights; merge checks their final losses agree). Merging
// hard-links part 0's directory into OUT/all and every other part's finished legs beside it; then
// `ligo experiment SPEC --out OUT/all` claims it (a spec that only adds methods extends a run),
// finds every leg finished and reruns nothing.
//
//   node --import tsx scripts/sweep-parts.ts split SPEC PARTS OUT   writes OUT/part-K.json for K < PARTS
//   node --import tsx scripts/sweep-parts.ts merge PARTS OUT        builds OUT/all from OUT/part-K/
//   node --import tsx scripts/sweep-parts.ts reuse FROM PARTS OUT   before the parts run: claims each
//     OUT/part-K for its spec and hard-links from the finished run FROM each seed's small model,
//     unigram line and every leg whose method is in the part unchanged; FROM must hold the same
//     data, tokenizer, models and training (only its name, seeds and methods may differ; the
//     normalised spec's `seed`, the first seed, which fixes the validation set, must match) and
//     every seed of the sweep, so the reused legs are exactly what the part would have trained.
import * as fs from 'node:fs';
import { basename, join, relative } from 'node:path';
import { claimDir, firstDifference, readSpecRecord } from '../src/experiment/claim.ts';
import { DONE_FILE, legDir, seedRoots, smallDir } from '../src/experiment/layout.ts';
import { UNIGRAM_FILE } from '../src/experiment/unigram.ts';
import { isReference, readSpec, type ExperimentSpec } from '../src/experiment/spec.ts';

function split(specPath: string, parts: number, out: string): void {
  const raw = JSON.parse(fs.readFileSync(specPath, 'utf8')) as { methods: unknown[] };
  const parsed = readSpec(specPath).methods; // in the raw spec's order
  const ref = raw.methods.filter((_, i) => isReference(parsed[i]!));
  if (ref.length !== 1) throw new Error(`${specPath}: needs exactly one plain scratch method to split, has ${ref.length}`);
  const others = raw.methods.filter((_, i) => !isReference(parsed[i]!));
  fs.mkdirSync(out, { recursive: true });
  for (let k = 0; k < parts; k++) {
    const part = { ...raw, methods: [...ref, ...others.filter((_, i) => i % parts === k)] };
    fs.writeFileSync(join(out, `part-${k}.json`), `${JSON.stringify(part, null, 2)}\n`);
  }
}

/** Hard-links every file of src under dst (directories created); an existing dst file is kept, a run's lock skipped. */
function linkTree(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const from = join(src, e.name);
    const to = join(dst, e.name);
    if (e.isDirectory()) linkTree(from, to);
    else if (e.name !== 'lock' && !fs.existsSync(to)) fs.linkSync(from, to); // the lock (src/train/lock.ts) belongs to the process that held it
  }
}

/** Each seed's small model's final validation loss in a part's run directory. */
function finalSmallLosses(partDir: string): string {
  const seeds = join(partDir, 'seeds');
  const roots = fs.existsSync(seeds) ? fs.readdirSync(seeds).sort().map((s) => join(seeds, s)) : [partDir];
  return JSON.stringify(Object.fromEntries(roots.map((r) => [basename(r), JSON.parse(fs.readFileSync(join(r, 'small', 'done.json'), 'utf8')).valLoss])));
}

/** Every `legs` directory under dir. */
function legDirs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => (e.name === 'legs' ? [join(dir, e.name)] : legDirs(join(dir, e.name))));
}

function merge(parts: number, out: string): void {
  const dirs = Array.from({ length: parts }, (_, k) => join(out, `part-${k}`));
  const first = finalSmallLosses(dirs[0]!);
  for (const d of dirs.slice(1)) {
    const mine = finalSmallLosses(d);
    if (mine !== first) throw new Error(`${d}: its small models ended at other losses than ${dirs[0]}'s (${mine} vs ${first}): the parts did not train the same small model, so their legs cannot be merged`);
  }
  const merged = join(out, 'all');
  linkTree(dirs[0]!, merged);
  for (const d of dirs.slice(1)) for (const legs of legDirs(d)) linkTree(legs, join(merged, relative(d, legs)));
}

function reuse(from: string, parts: number, out: string): void {
  const held = readSpecRecord(from).spec;
  const shared = (s: ExperimentSpec) => ({ ...s, name: '', seeds: undefined, methods: [] });
  const heldRoots = new Map(seedRoots(held, from).map((r) => [r.seed, r.root]));
  for (let k = 0; k < parts; k++) {
    const dir = join(out, `part-${k}`);
    const spec = readSpec(`${dir}.json`);
    const field = firstDifference(shared(held), shared(spec));
    if (field !== null) throw new Error(`${from} ran another setting than ${dir}.json (first difference: ${field}): its legs cannot be reused`);
    const roots = seedRoots(spec, dir);
    const missing = roots.filter((r) => !heldRoots.has(r.seed)).map((r) => r.seed);
    if (missing.length > 0) throw new Error(`${from} holds no seed ${missing.join(', ')}: reuse needs every seed of the sweep`);
    claimDir(dir, spec);
    const same = spec.methods.filter((m) => held.methods.some((h) => h.label === m.label && firstDifference(h, m) === null)).map((m) => m.label);
    for (const { seed, root } of roots) {
      const src = heldRoots.get(seed)!;
      linkTree(smallDir(src), smallDir(root));
      if (!fs.existsSync(join(root, UNIGRAM_FILE))) fs.linkSync(join(src, UNIGRAM_FILE), join(root, UNIGRAM_FILE));
      for (const label of same) if (fs.existsSync(join(legDir(src, label), DONE_FILE))) linkTree(legDir(src, label), legDir(root, label));
    }
    console.log(`${dir}: reused ${same.join(', ') || 'no legs'} and the small models of seeds ${roots.map((r) => r.seed).join(', ')} from ${from}`);
  }
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'split' && args.length === 3) split(args[0]!, Number(args[1]), args[2]!);
  else if (cmd === 'merge' && args.length === 2) merge(Number(args[0]), args[1]!);
  else if (cmd === 'reuse' && args.length === 3) reuse(args[0]!, Number(args[1]), args[2]!);
  else throw new Error('usage: sweep-parts.ts split SPEC PARTS OUT | merge PARTS OUT | reuse FROM PARTS OUT');
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
