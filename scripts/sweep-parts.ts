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
import * as fs from 'node:fs';
import { basename, join, relative } from 'node:path';
import { isReference, readSpec } from '../src/experiment/spec.ts';

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

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'split' && args.length === 3) split(args[0]!, Number(args[1]), args[2]!);
  else if (cmd === 'merge' && args.length === 2) merge(Number(args[0]), args[1]!);
  else throw new Error('usage: sweep-parts.ts split SPEC PARTS OUT | merge PARTS OUT');
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
