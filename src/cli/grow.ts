// `ligo grow`: grows a small checkpoint into a larger model with one of the growth methods
// (src/grow) and writes the large checkpoint (model.safetensors, config.json, the small model's
// tokenizer.json, grow.json with the method and its training instructions, MSG's masks).
//
// --to takes a preset or a config.json. A preset gives only its sizes (layers, hidden, heads,
// FFN): the rest (vocabulary, positions, token ids, image size) comes from the small config, so
// `--to bert-12L-768H` works for any small BERT. A config.json is taken as it is. --layers,
// --hidden, --heads and --ffn then override single sizes; a Llama target keeps the small model's
// query heads per key/value head unless --kv-heads says otherwise (`--hidden 96 --heads 12` from
// 48 hidden, 6 heads, 2 key/value heads gives 4 key/value heads). Methods that learn (ligo) train on the
// large model's own loss: text from --data (tokenised with the small checkpoint's tokenizer.json,
// shards cached in OUT/token-cache; your own files, as `ligo train --data PATH` reads them, in
// the shared token cache), images from MNIST / Fashion-MNIST, drawn as `ligo train` draws them
// (runTask, src/train/assemble.ts); a progress bar shows their steps (the progress display of
// every long command). Their --data and options are checked first (the options by running the
// method for 0 steps on the two configs, checkMethod), before anything is read or tokenised. --seed,
// --batch-size and --seq-len take the ranges of `ligo train`'s (src/train/options.ts). A target no larger than the small
// model is refused; a failed growth leaves no --out directory behind. `ligo grow --method NAME
// --help` adds that method's options (defaults and meaning) to the help. The summary goes to
// stdout. Exit codes: 0 done, 2 bad usage or input (one line on stderr), 1 unexpected.

import fs from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { UsageError, expectDirectory, guarded, intAtLeast, notPresetOrFile, removeIfFailed, runOption } from './common.ts';
import { methodHelp } from './catalog.ts';
import { listenForInterrupt, signalExitCode } from './interrupt.ts';
import { dataOptions, dataValues, ownCorpusOf, type OwnDataFlags } from './data-options.ts';
import { CONFIG_FILE, loadCheckpoint } from '../io/index.ts';
import { configFromJSON, dims, isLlamaFamily, preset, presetNames, validateConfig, withDims, type ModelConfig } from '../models/index.ts';
import type { Tensor } from '../tensor/index.ts';
import { tokenizerFromJSON, type Tokenizer } from '../tokenize/index.ts';
import { MASKS_FILE, checkGrowable, checkMethod, dataRecord, getMethod, runGrowth, saveGrown, type GrowContext, type GrowMethod } from '../grow/index.ts';
import { RUN_OPTIONS, checkDataFits, checkTokenizerFits, checkpointStep, dataLabel, dataNames, imageDataNames, isImageData, prepareRunData, resolveCheckpointDir, runTask, stepDisplay, textDataNames, type DataName } from '../train/index.ts';

interface GrowOptions extends OwnDataFlags {
  from: string;
  to?: string;
  method: string;
  out: string;
  seed: number;
  layers?: number;
  hidden?: number;
  heads?: number;
  kvHeads?: number;
  ffn?: number;
  option?: string[];
  data?: DataName | string[];
  batchSize: number;
  seqLen: number;
}

const EXAMPLE = `
Examples (runs/bert-mini: \`ligo train --config bert-4L-256H --data sotu --out runs/bert-mini\`):
  ligo grow --from runs/bert-mini --method stackbert --layers 8 --out grown/bert-stack
  ligo grow --from runs/bert-mini --to bert-6L-512H --method lemon --out grown/bert-lemon
  ligo grow --from runs/bert-mini --method ligo --layers 8 --data sotu --option steps=100 --option mode=full --out grown/bert-ligo
  ligo grow --from runs/own --method ligo --layers 4 --data corpus.jsonl --option steps=100 --out grown/own-ligo      # on your own data (runs/own: \`ligo train --help\`)
  ligo grow --from runs/bert-mini --method mslt --layers 8 --option freezeSteps=500 --out grown/bert-mslt
  ligo grow --method ligo --help      (LiGO's options; \`ligo methods\` lists every method's)`;

/**
 * `ligo grow` with `method` (from --method on the command line, when given with --help) whose
 * options the help shows.
 */
export function registerGrow(program: Command, method: GrowMethod | null = null): void {
  const cmd = program
    .command('grow')
    .description('grow a small checkpoint into a larger model with a growth method (ligo, stackbert, lemon, ...)')
    .requiredOption('--from <dir>', 'small model: a checkpoint directory (model.safetensors + config.json [+ tokenizer.json]) or a run directory (its newest checkpoint)')
    .option('--to <preset|file>', 'large model: a preset (its sizes on the small config) or a config.json (default: the small config)')
    .requiredOption('--method <name>', 'growth method (`ligo methods` lists them with their options; A+B: width method A, then depth method B)')
    .requiredOption('--out <dir>', 'directory for the grown checkpoint')
    .addOption(runOption(RUN_OPTIONS.seed, { help: "seed for the method's random choices (and ligo's data order)" }))
    .option('--layers <n>', 'large model: number of layers', intAtLeast(1))
    .option('--hidden <n>', 'large model: hidden size', intAtLeast(1))
    .option('--heads <n>', 'large model: attention heads', intAtLeast(1))
    .option('--ffn <n>', 'large model: feed-forward size', intAtLeast(1))
    .option('--kv-heads <n>', "large llama or qwen2 model: key/value heads (default: the small model's query heads per key/value head kept)", intAtLeast(1))
    .option('--option <key=value>', "a method option, repeatable (e.g. freezeSteps=500, steps=100); values are JSON or text; `ligo grow --method NAME --help` lists the method's", (v: string, acc: string[] = []) => [...acc, v])
    .option('--data <name|path...>', `data for methods that learn (ligo): ${dataNames.join(', ')}, or your own files, directories or globs (as \`ligo train --data\`)`, dataValues(dataNames))
    .addOption(runOption(RUN_OPTIONS.batchSize, { help: "examples per step for methods that learn (LiGO's batchSize option takes fewer of them)", default: 64 }))
    .addOption(runOption(RUN_OPTIONS.seqLen, { help: "tokens per text example for methods that learn (LiGO's seqLen option cuts them shorter)" }))
    .addHelpText('after', method ? `${EXAMPLE}\n\n${methodHelp(method)}` : EXAMPLE);
  dataOptions(cmd, false);
  guarded(cmd, runGrow);
}

/** key=value pairs; values parse as JSON when they can (numbers, booleans), else stay text. */
function parseOptions(pairs: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--option ${p}: expected key=value`);
    const raw = p.slice(eq + 1);
    try {
      out[p.slice(0, eq)] = JSON.parse(raw);
    } catch {
      out[p.slice(0, eq)] = raw;
    }
  }
  return out;
}

function targetConfig(o: GrowOptions, small: ModelConfig): ModelConfig {
  let large = small;
  if (o.to && presetNames.includes(o.to)) {
    const p = preset(o.to);
    if (p.model_type !== small.model_type) throw new UsageError(`--to ${o.to} is a ${p.model_type} preset but the small model is ${small.model_type}: growth keeps the model family`);
    const d = dims(p);
    large = withDims(small, { layers: d.layers, hidden: d.hidden, heads: d.heads, ffn: d.ffn });
  } else if (o.to) {
    if (!fs.existsSync(o.to)) throw new UsageError(notPresetOrFile('--to', o.to, presetNames));
    large = configFromJSON(JSON.parse(fs.readFileSync(o.to, 'utf8')));
  }
  large = withDims(large, { ...(o.layers ? { layers: o.layers } : {}), ...(o.hidden ? { hidden: o.hidden } : {}), ...(o.heads ? { heads: o.heads } : {}), ...(o.ffn ? { ffn: o.ffn } : {}) });
  if (o.kvHeads !== undefined) {
    if (!isLlamaFamily(large)) throw new UsageError(`--kv-heads sets a llama or qwen2 model's key/value heads; this is a ${large.model_type} model`);
    large = { ...large, num_key_value_heads: o.kvHeads };
  }
  validateConfig(large);
  return large;
}

/** ctx.batches for the large model's own loss, from --data (the run's task, as `ligo train` draws it: src/train/assemble.ts). */
async function trainingBatches(o: GrowOptions, large: ModelConfig, tokenizerJson: unknown | null, signal: AbortSignal): Promise<NonNullable<GrowContext['batches']>> {
  const data = ownCorpusOf(o.data!, o) ?? (o.data as DataName);
  let factory;
  try {
    checkDataFits(large, data, o.seqLen);
    let tokenizer: Tokenizer | null = null;
    if (!isImageData(data)) {
      if (tokenizerJson === null) throw new UsageError(`--data ${dataLabel(data)} is text, but ${o.from} has no tokenizer.json to tokenise it with`);
      tokenizer = tokenizerFromJSON(tokenizerJson, join(o.from, 'tokenizer.json'));
      checkTokenizerFits(large, tokenizer);
    }
    const prepared = await prepareRunData(data, tokenizer, { batchSize: o.batchSize, seqLen: o.seqLen, cacheDir: o.cacheDir, signal });
    factory = runTask(large, { data: prepared, tokenizer, cacheRoot: o.out, seqLen: o.seqLen, evalBatches: 1, signal }, { batchSize: o.batchSize, seed: o.seed });
  } catch (e) {
    throw e instanceof UsageError || signal.aborted ? e : new UsageError((e as Error).message);
  }
  const task = factory(null);
  return () => task.next().batch;
}

/** The operator's steps on the progress display every long command uses, after a line saying what learns; `signal` stops them (after the current step). */
function progress(what: string, signal: AbortSignal): Pick<GrowContext, 'onProgress'> & { stop(): void } {
  let display: ReturnType<typeof stepDisplay> | null = null;
  return {
    onProgress: (step, total, loss) => {
      if (!display) {
        display = stepDisplay({ label: 'growing: step', logEvery: Math.max(1, Math.round(total / 20)) });
        display.note(`${what}: ${total} operator step${total === 1 ? '' : 's'}`);
        display.start(total, step); // its rate counts from here: the time of this first step is not known
      }
      display.update(step, `loss ${loss.toFixed(4)}`);
      signal.throwIfAborted();
    },
    stop: () => display?.stop(),
  };
}

const count = (ts: Iterable<Tensor>) => [...ts].reduce((n, t) => n + t.size, 0);
const shapeOf = (d: { layers: number; hidden: number; heads: number; ffn: number }) => `${d.layers}L-${d.hidden}H-${d.heads}A-${d.ffn}F`;

async function runGrow(o: GrowOptions): Promise<void> {
  expectDirectory('--out', o.out);
  if (fs.existsSync(join(o.out, CONFIG_FILE))) throw new UsageError(`--out ${o.out} already holds a checkpoint: choose another directory`);
  const method: GrowMethod = getMethod(o.method);
  const smallDir = resolveCheckpointDir(o.from);
  const small = loadCheckpoint(smallDir);
  const smallConfig = configFromJSON(small.config);
  const large = targetConfig(o, smallConfig);
  const [ds, dl] = [dims(smallConfig), dims(large)];
  if (ds.layers === dl.layers && ds.hidden === dl.hidden && ds.heads === dl.heads && ds.kvHeads === dl.kvHeads && ds.ffn === dl.ffn) {
    throw new UsageError(`the target ${shapeOf(dl)} is the small model's own size: give a larger one with --to PRESET|config.json or --layers/--hidden/--heads/--ffn (\`ligo presets\` lists the presets)`);
  }
  checkGrowable(smallConfig, large);
  const options = parseOptions(o.option);
  if (method.needsData) {
    // Before any data work: a learning method's --data, and its options on these configs (checkMethod runs it for 0 steps).
    if (!o.data) throw new UsageError(`--method ${o.method} learns from the large model's loss: give --data (${textDataNames.join(', ')} or your own files for text; ${imageDataNames.join(', ')} for images)`);
    checkMethod(o.method, options, smallConfig, large, o.seed);
  }
  const interrupt = listenForInterrupt({ first: 'stopping after the current step; nothing will be written; press Ctrl-C again to quit at once', second: 'quit; nothing was written', remove: [fs.existsSync(o.out) ? join(o.out, 'token-cache') : o.out].filter((p) => !fs.existsSync(p)) });
  const bar = progress(`growing ${smallConfig.model_type} ${shapeOf(ds)} into ${shapeOf(dl)} with ${method.name}${o.data ? ` on ${[o.data].flat().join(' ')}` : ''}`, interrupt.signal);
  const ctx: GrowContext = { seed: o.seed, options, onProgress: bar.onProgress! };
  const started = performance.now();
  let grown;
  try {
    grown = await removeIfFailed(o.out, () => false, async () => {
      if (method.needsData) ctx.batches = await trainingBatches(o, large, small.tokenizer, interrupt.signal);
      let run;
      try {
        run = runGrowth(method, small.tensors, smallConfig, large, ctx);
      } finally {
        bar.stop();
      }
      interrupt.signal.throwIfAborted();
      const data = method.needsData && o.data ? { data: dataRecord(ownCorpusOf(o.data, o) ?? (o.data as string)), batchSize: o.batchSize, seqLen: o.seqLen } : { data: null, batchSize: null, seqLen: null };
      const saved = saveGrown(o.out, method, large, run, { from: o.from, fromCheckpoint: smallDir, fromStep: checkpointStep(smallDir), seed: o.seed, optionsGiven: ctx.options ?? {}, tokenizerJson: small.tokenizer, ...data });
      return { ...run, tensors: saved.tensors, written: saved.files };
    });
  } catch (e) {
    const signal = interrupt.received();
    if (!signal || e !== interrupt.signal.reason) throw e;
    process.stderr.write(`stopped; nothing was written to ${o.out}; run the same command again to grow\n`);
    process.exitCode = signalExitCode(signal);
    return;
  } finally {
    interrupt.dispose();
  }
  const { result, cost, tensors, written } = grown;
  const seconds = (performance.now() - started) / 1000;
  console.log(`grew ${smallConfig.model_type} ${shapeOf(dims(smallConfig))} (${count(small.tensors.values()).toLocaleString('en')} parameters) into ${shapeOf(dims(large))} (${count(tensors.map(([, t]) => t)).toLocaleString('en')} parameters) with ${method.name}, seed ${o.seed}, in ${seconds.toFixed(1)} s`);
  if (result.cost) console.log(`operator cost: ${cost.operatorSteps} steps, ${cost.flopsElectra.toExponential(3)} FLOPs (ELECTRA convention), ${cost.flopsSixN.toExponential(3)} (6N), ${cost.wallSeconds.toFixed(1)} s (grow.json)`);
  if (result.schedule?.freeze) console.log(`schedule: ${result.schedule.freeze.keys.length} tensors frozen until step ${result.schedule.freeze.untilStep} (grow.json)`);
  if (result.schedule?.maskRamp) console.log(`schedule: new structure masked, ramped 0 -> 1 over ${result.schedule.maskRamp.steps} steps (${MASKS_FILE})`);
  if (result.schedule?.lrHint) console.log(`hint: ${result.schedule.lrHint}`);
  console.log(`wrote ${o.out}: ${written.join(', ')}`);
}
