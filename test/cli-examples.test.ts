// Every example a user is shown runs as written: each `ligo ...` line of the README (the tour's
// code block and the command table's example column) and of every command's --help "Examples".
// They run through bin/ligo.js in a scratch working directory, each once, in an order where
// every example's inputs (--from, --ki-teacher, the directory it reports on or resumes) were
// written by an earlier one; all must exit 0.
//
// Stand-ins keep it to tiny sizes, the commands otherwise as printed:
//   - `ligo train` starting a run: --steps N becomes ceil(N / 1000) (1 when absent), --warmup N
//     floor(N / 1000), --batch-size 2 and --seq-len 16; a resume keeps its run's settings
//     (--steps scaled the same way);
//   - `ligo grow` learning from --data: --batch-size 2, --seq-len 16, --option steps=N ceil(N / 1000);
//   - experiment specs (experiments/NAME.json) are the repository's with every budget at 2
//     steps of batch 2, sequences of 16 and operator steps of 1;
//   - `ligo demo [--out DIR]` (10 minutes) runs as `ligo experiment experiments/demo.json --out
//     DIR` on that tiny demo spec: the same code path (runAndReport) on the same spec;
//   - absolute paths (/tmp/...) are taken inside the scratch directory, and ./DIR is DIR;
//   - the own-data examples' files (corpus.jsonl, shards/*.parquet, val.jsonl.gz, books/,
//     notes.md, logs.txt.gz) are small generated ones, and the token cache is in the scratch
//     directory;
//   - the own-model example's HuggingFace directory (models/my-llama) is a tiny Llama as
//     save_pretrained shards one (model.safetensors.index.json and two shards) with a Llama
//     3-shaped tokenizer.json (test/fixtures/tokenizers).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { modelFor, preset, type LlamaConfig } from '../src/models/index.ts';
import { writeSafetensors } from '../src/io/index.ts';

const ROOT = join(import.meta.dirname, '..');
const LIGO = join(ROOT, 'bin', 'ligo.js');
const COMMANDS = ['train', 'grow', 'experiment', 'report', 'demo', 'inspect', 'methods', 'presets', 'backend'];
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-cli-examples-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = (args: string[]) => spawnSync(process.execPath, [LIGO, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, LIGO_TOKEN_CACHE: join(tmp, 'token-cache') } });

/** A shown example as words, its trailing comment ('# ...' or '   (...)') and `npx ` dropped. */
function words(line: string): string[] {
  const bare = line.trim().replace(/^npx /, '').replace(/\s+#.*$/, '').replace(/\s{2,}\(.*\)$/, '').trim();
  return bare.split(/\s+/).slice(1); // without 'ligo'
}

function readmeExamples(): string[][] {
  const text = fs.readFileSync(join(ROOT, 'README.md'), 'utf8');
  const tour = text.split('\n').filter((l) => /^(npx )?ligo /.test(l));
  const table = text.split('\n').filter((l) => l.startsWith('| `ligo')).map((l) => /`(ligo [^`]+)`\s*\|\s*$/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
  assert.ok(tour.length >= 5 && table.length >= 8, `README examples found: ${tour.length} in the tour, ${table.length} in the table`);
  return [...tour, ...table].map(words);
}

function helpExamples(): string[][] {
  return COMMANDS.flatMap((c) => {
    const r = run([c, '--help']);
    assert.equal(r.status, 0, `${c} --help: ${r.stderr}`);
    const at = r.stdout.search(/^Examples?/m);
    if (c !== 'backend') assert.ok(at >= 0, `ligo ${c} --help has no examples`);
    return at < 0 ? [] : r.stdout.slice(at).split('\n').filter((l) => /^\s+ligo /.test(l)).map(words);
  });
}

const flag = (args: string[], name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
function setFlag(args: string[], name: string, value: string): string[] {
  const i = args.indexOf(name);
  return i < 0 ? [...args, name, value] : args.map((a, k) => (k === i + 1 ? value : a));
}
const scaled = (n: string | undefined, round: (x: number) => number) => String(round(Number(n ?? 1000) / 1000));

/** The example at tiny size (see the header). */
function standIn(example: string[]): string[] {
  let [command, ...args] = example.map((a) => a.replace(/^\.?\//, ''));
  if (command === 'demo') return ['experiment', 'experiments/demo.json', '--out', flag(args, '--out') ?? 'ligo-demo'];
  if (command === 'train') {
    const fresh = args.includes('--config') || args.includes('--from');
    if (fresh || args.includes('--steps')) args = setFlag(args, '--steps', scaled(flag(args, '--steps'), (x) => Math.max(1, Math.ceil(x))));
    if (fresh) {
      if (args.includes('--warmup')) args = setFlag(args, '--warmup', scaled(flag(args, '--warmup'), Math.floor));
      args = setFlag(setFlag(args, '--batch-size', '2'), '--seq-len', '16');
    }
  }
  if (command === 'grow' && args.includes('--data')) {
    args = setFlag(setFlag(args, '--batch-size', '2'), '--seq-len', '16');
    args = args.map((a) => a.replace(/^steps=(\d+)$/, (_, n: string) => `steps=${Math.ceil(Number(n) / 1000)}`));
  }
  return [command!, ...args];
}

/** Paths the example reads, which an earlier example must have written. */
function inputs([command, ...args]: string[]): string[] {
  if (args.includes('--help')) return [];
  const positional = args.filter((a, i) => !a.startsWith('-') && !(i > 0 && args[i - 1]!.startsWith('--') && !['--html', '--layer-drop', '--allow-change'].includes(args[i - 1]!)));
  switch (command) {
    case 'train':
      return args.includes('--config') || args.includes('--from') ? [flag(args, '--from'), flag(args, '--ki-teacher'), flag(args, '--tokenizer')].filter((p): p is string => p !== undefined) : [flag(args, '--out')!];
    case 'grow':
      return [flag(args, '--from')!];
    case 'inspect':
    case 'report':
      return positional;
    default:
      return [];
  }
}

/** The repository's spec at tiny size. */
function tinySpec(name: string): void {
  const spec = JSON.parse(fs.readFileSync(join(ROOT, name), 'utf8')) as Record<string, any>;
  const tiny = (t: Record<string, unknown>) => ({ ...t, steps: 2, batchSize: 2, warmupSteps: 0, evalEvery: 1, saveEvery: 2 });
  spec.seqLen = 16;
  spec.evalBatches = 1;
  spec.small.training = tiny(spec.small.training);
  spec.large.training = tiny(spec.large.training);
  for (const m of spec.methods) if (m.options?.steps !== undefined) m.options.steps = 1;
  fs.mkdirSync(join(tmp, 'experiments'), { recursive: true });
  fs.writeFileSync(join(tmp, name), JSON.stringify(spec));
}

/** Paragraphs of words from a small vocabulary, for the own-data examples. */
function paragraphs(n: number, seed: number): string[] {
  const words = 'the a cat dog sat ran on in far away and then slept sun mat over under river hill light'.split(' ');
  let r = seed;
  return Array.from({ length: n }, () => Array.from({ length: 24 }, () => words[(r = (Math.imul(r, 1103515245) + 12345) >>> 0) % words.length]).join(' '));
}

/** The files the own-data examples read (see the header). */
function ownDataFiles(): void {
  const jsonl = (field: string, texts: string[]) => texts.map((t) => JSON.stringify({ [field]: t })).join('\n');
  fs.writeFileSync(join(tmp, 'corpus.jsonl'), jsonl('text', paragraphs(300, 1)));
  fs.writeFileSync(join(tmp, 'val.jsonl.gz'), gzipSync(jsonl('content', paragraphs(20, 2))));
  fs.mkdirSync(join(tmp, 'shards'));
  for (const part of [0, 1]) fs.writeFileSync(join(tmp, 'shards', `part-${part}.parquet`), new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'content', data: paragraphs(150, 3 + part) }] })));
  fs.mkdirSync(join(tmp, 'books', 'vol2'), { recursive: true });
  fs.writeFileSync(join(tmp, 'books', 'one.txt'), paragraphs(150, 5).join('\n\n'));
  fs.writeFileSync(join(tmp, 'books', 'vol2', 'two.md'), paragraphs(150, 6).join('\n\n'));
  fs.writeFileSync(join(tmp, 'notes.md'), paragraphs(150, 7).join('\n'));
  fs.writeFileSync(join(tmp, 'logs.txt.gz'), gzipSync(paragraphs(150, 8).join('\n')));
}

/** The own-model example's directory (see the header): weights in two shards, as HF writes large models. */
function ownModelDir(): void {
  const dir = join(tmp, 'models', 'my-llama');
  fs.mkdirSync(dir, { recursive: true });
  const fixture = JSON.parse(fs.readFileSync(join(ROOT, 'test', 'fixtures', 'tokenizers', 'byte-level-variants.json'), 'utf8'));
  const { normalizer, pre_tokenizer, ignore_merges } = fixture.variants.llama3;
  const tokenizer = { ...fixture.base, normalizer, pre_tokenizer, model: { ...fixture.base.model, ignore_merges } };
  const vocab = Object.keys(tokenizer.model.vocab).length;
  const config = preset<LlamaConfig>('llama-tiny', { vocab_size: vocab, bos_token_id: 0, eos_token_id: 0 });
  const flat = modelFor(config).flatten(modelFor(config).initParams(config, 0));
  const shards = [flat.slice(0, flat.length >> 1), flat.slice(flat.length >> 1)];
  const weightMap: Record<string, string> = {};
  shards.forEach((tensors, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(dir, file), tensors);
    for (const [name] of tensors) weightMap[name] = file;
  });
  fs.writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  fs.writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, torch_dtype: 'bfloat16' }));
  fs.writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
}

test('every example of the README and of every --help runs as written (at tiny sizes)', { timeout: 30 * 60_000 }, () => {
  ownDataFiles();
  ownModelDir();
  const seen = new Set<string>();
  const todo = [...readmeExamples(), ...helpExamples()].map(standIn).filter((e) => !seen.has(e.join(' ')) && seen.add(e.join(' ')));
  for (const e of todo) if (e[0] === 'experiment') tinySpec(e[1]!);
  while (todo.length > 0) {
    const next = todo.findIndex((e) => inputs(e).every((p) => fs.existsSync(join(tmp, p))));
    assert.ok(next >= 0, `no example can run: each needs what no other writes:\n${todo.map((e) => `ligo ${e.join(' ')} (needs ${inputs(e).join(', ')})`).join('\n')}`);
    const [e] = todo.splice(next, 1);
    const t0 = Date.now();
    const r = run(e!);
    if (process.env.LIGO_EXAMPLES_TIMES) process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s  ligo ${e!.join(' ')}\n`);
    assert.equal(r.status, 0, `ligo ${e!.join(' ')}: exit ${r.status}\n${r.stderr}`);
  }
});
