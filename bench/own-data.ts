// `node --import tsx bench/own-data.ts`: the own-data pipeline at scale (issue 21). Generates a
// JSON Lines corpus of MB megabytes (default 1024) of Zipf-distributed words in paragraphs, trains
// a WordPiece tokenizer (vocabulary 8192) on its first 8 MB, then measures, one thread each:
//   - encode: MB/s of text through our tokenizer's encode() and through the peer's on the same
//     documents (the first 32 MB) and the same tokenizer.json: HuggingFace's Rust tokenizer when
//     a binding is installed (see peer()), else @huggingface/tokenizers (the JavaScript port);
//   - build: the whole prepareCorpus (read, UTF-8 check, JSON parse, split, tokenise, write
//     shards) in MB/s, with the process's peak RSS after it, and the cache's size;
//   - reuse: the second prepareCorpus on the same content (hashing only);
//   - training: tokens/s of STEPS bert-tiny training steps (batch 8 x 128) reading windows from
//     the cache on disk, and from a copy of the same shards in /dev/shm (memory), after a
//     warm-up run of the same steps.
// Prints one JSON line. Env: MB, DIR (default: a fresh directory under the OS temp dir, removed
// after), STEPS (default 20), LIGO_BACKEND.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/tensor/index.ts';
import { ownCorpus, prepareCorpus, type TokenShards } from '../src/data/index.ts';
import { loadTokenizer, saveTokenizer, trainWordPiece, type Tokenizer } from '../src/tokenize/index.ts';
import { preset } from '../src/models/index.ts';
import { textTask, train } from '../src/train/index.ts';

const MB = 1 << 20;
const size = Number(process.env.MB ?? 1024) * MB;
const steps = Number(process.env.STEPS ?? 20);
const dir = process.env.DIR ?? fs.mkdtempSync(join(os.tmpdir(), 'ligo-bench-own-data-'));
const keep = process.env.DIR !== undefined;

/** Writes about `bytes` of JSON Lines: paragraphs of 20-200 words drawn from a Zipf law over 50,000 words. */
function generate(path: string, bytes: number): void {
  const rng = new Rng(1);
  const words = Array.from({ length: 50_000 }, (_, i) => {
    let w = '';
    for (let n = i + 1; n > 0; n = Math.floor(n / 20)) w += 'etaoinshrdlucmfwypvb'[n % 20];
    return w;
  });
  const cdf = new Float64Array(words.length);
  let total = 0;
  for (let i = 0; i < words.length; i++) cdf[i] = total += 1 / (i + 1);
  const draw = () => {
    const u = rng.uniform() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  const fd = fs.openSync(path, 'w');
  let written = 0;
  while (written < bytes) {
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const n = 20 + rng.int(180);
      const text = Array.from({ length: n }, (_, k) => (k > 0 && rng.uniform() < 0.08 ? `${draw()}.` : draw())).join(' ');
      lines.push(JSON.stringify({ text: `${text[0]!.toUpperCase()}${text.slice(1)}.` }));
    }
    const chunk = `${lines.join('\n')}\n`;
    fs.writeSync(fd, chunk);
    written += Buffer.byteLength(chunk);
  }
  fs.closeSync(fd);
}

/** The documents of the first `bytes` of a JSON Lines file. */
function firstDocuments(path: string, bytes: number): string[] {
  const buf = Buffer.alloc(bytes);
  const fd = fs.openSync(path, 'r');
  const n = fs.readSync(fd, buf, 0, bytes, 0);
  fs.closeSync(fd);
  const lines = buf.subarray(0, n).toString('utf8').split('\n');
  return lines.slice(0, -1).map((l) => (JSON.parse(l) as { text: string }).text);
}

function seconds<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

/**
 * The peer tokenizer on the same tokenizer.json: HuggingFace's Rust `tokenizers` through a Node
 * binding when one is installed (npm's `tokenizers` has no Linux binaries since 0.13; the
 * `@anush008/tokenizers` build of the same crate has: `npm install --no-save
 * @anush008/tokenizers@0.6.0`), called with encodeBatch on batches of 1,000 documents
 * (RAYON_NUM_THREADS=1 keeps it to one core, as ours); else @huggingface/tokenizers (the pure
 * JavaScript port).
 */
async function peer(tokenizerPath: string): Promise<{ name: string; encodeAll: (docs: string[]) => Promise<void> }> {
  type Rust = { Tokenizer: { fromFile(p: string): { encodeBatch(t: string[], o: { addSpecialTokens: boolean }): Promise<unknown[]> } } };
  for (const pkg of ['tokenizers', '@anush008/tokenizers']) {
    try {
      const t = ((await import(pkg)) as Rust).Tokenizer.fromFile(tokenizerPath);
      return {
        name: `${pkg} (Rust, RAYON_NUM_THREADS=${process.env.RAYON_NUM_THREADS ?? 'unset'})`,
        encodeAll: async (docs) => {
          for (let i = 0; i < docs.length; i += 1000) await t.encodeBatch(docs.slice(i, i + 1000), { addSpecialTokens: false });
        },
      };
    } catch {
      // not installed: try the next
    }
  }
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const json = JSON.parse(fs.readFileSync(tokenizerPath, 'utf8')) as object;
  const t = new Tokenizer(json, {});
  return { name: '@huggingface/tokenizers (JavaScript)', encodeAll: async (docs) => docs.forEach((d) => t.encode(d, { add_special_tokens: false })) };
}

function trainingTokensPerSecond(shards: { train: TokenShards; validation: TokenShards }, tokenizer: Tokenizer, runDir: string): number {
  const config = { ...preset('bert-tiny'), vocab_size: tokenizer.vocabSize };
  const task = textTask({ kind: 'masked-lm', ...shards, tokenizer, batchSize: 8, seqLen: 128, seed: 0, evalBatches: 1 });
  const r = train({ runDir, config, initialParams: null, task, steps, lr: 1e-4, warmupSteps: 0, decay: 'constant', weightDecay: 0, clipNorm: 1, accumSteps: 1, evalEvery: 0, saveEvery: 0, seed: 0 });
  return (steps * 8 * 128) / r.wallSeconds;
}

function copyShards(s: TokenShards, to: string): TokenShards {
  fs.cpSync(s.dir, to, { recursive: true });
  return { ...s, dir: to };
}

async function main(): Promise<void> {
  const corpus = join(dir, 'corpus.jsonl');
  const [, genSeconds] = seconds(() => generate(corpus, size));
  const bytes = fs.statSync(corpus).size;
  const tokenizerPath = join(dir, 'tokenizer.json');
  saveTokenizer(tokenizerPath, trainWordPiece(firstDocuments(corpus, 8 * MB), { vocabSize: 8192 }));
  const tokenizer = loadTokenizer(tokenizerPath);

  const sample = firstDocuments(corpus, Math.min(32 * MB, bytes));
  const sampleMB = sample.reduce((n, d) => n + Buffer.byteLength(d), 0) / MB;
  const [, ours] = seconds(() => sample.forEach((d) => tokenizer.encode(d)));

  const cache = join(dir, 'cache');
  const b0 = performance.now();
  const built = await prepareCorpus(ownCorpus([corpus]), tokenizer, cache);
  const buildSeconds = (performance.now() - b0) / 1000;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const r0 = performance.now();
  const reused = await prepareCorpus(ownCorpus([corpus]), tokenizer, cache);
  const reuseSeconds = (performance.now() - r0) / 1000;
  // the peer after the build, so the build's peak RSS is ours alone (the Rust binding's encodings take ~1 GB)
  const other = await peer(tokenizerPath);
  const t0 = performance.now();
  await other.encodeAll(sample);
  const theirs = (performance.now() - t0) / 1000;
  const cacheBytes = [built.train, built.validation].reduce((n, s) => n + s.manifest.shards.reduce((m, f) => m + fs.statSync(join(s.dir, f.file)).size, 0), 0);

  const shm = fs.mkdtempSync(join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'ligo-bench-'));
  const inMemory = { train: copyShards(built.train, join(shm, 'train')), validation: copyShards(built.validation, join(shm, 'validation')) };
  trainingTokensPerSecond(built, tokenizer, join(dir, 'run-warmup')); // first steps compile and allocate: not measured
  const fromMemory = trainingTokensPerSecond(inMemory, tokenizer, join(dir, 'run-memory'));
  const fromCache = trainingTokensPerSecond(built, tokenizer, join(dir, 'run-cache'));
  fs.rmSync(shm, { recursive: true, force: true });

  console.log(
    JSON.stringify({
      corpusMB: +(bytes / MB).toFixed(1),
      generateSeconds: +genSeconds.toFixed(1),
      encodeSampleMB: +sampleMB.toFixed(1),
      oursEncodeMBps: +(sampleMB / ours).toFixed(2),
      peer: other.name,
      peerEncodeMBps: +(sampleMB / theirs).toFixed(2),
      buildMBps: +(bytes / MB / buildSeconds).toFixed(2),
      buildSeconds: +buildSeconds.toFixed(1),
      peakRssMB: Math.round(peakRssMB),
      reuseSeconds: +reuseSeconds.toFixed(2),
      reused: reused.train.reused,
      tokens: built.train.manifest.tokenCount + built.validation.manifest.tokenCount,
      dtype: built.train.manifest.dtype,
      cacheMB: +(cacheBytes / MB).toFixed(1),
      trainTokensPerSecondCache: Math.round(fromCache),
      trainTokensPerSecondMemory: Math.round(fromMemory),
      cpu: os.cpus()[0]?.model,
      cores: os.cpus().length,
    }),
  );
}

try {
  await main();
} finally {
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
}
