// The experiment spec: a JSON file naming the data, the tokenizer, a small and a large model with
// their training budgets, and the methods to compare (scratch plus growth operators by registry
// name). `parseSpec` checks every field (one-line SpecError naming it) and fills the defaults, so
// the normalised spec, and its hash, say everything a run does; it only parses: the growth
// methods are tried on the configs when the experiment starts (check.ts). Example:
// experiments/demo.json. The fields that are also `ligo train` flags (a "training" object's,
// seqLen, evalBatches, seed, ki's, layerDrop's, tokenDrop's) take the flags' ranges and defaults
// and get their refusals (src/train/options.ts).
//
//   {
//     "name": "demo", "data": "sotu", "tokenizer": { "vocabSize": 4096 }, "seqLen": 64,
//     "small": { "config": "bert-tiny", "training": { "steps": 300, "lr": 1e-3 } },
//     "large": { "config": { "model_type": "bert", "num_hidden_layers": 4, ... }, "training": { ... } },
//     "methods": [ { "name": "scratch" }, { "name": "ligo", "options": { "steps": 100 } },
//                  { "name": "scratch", "label": "ki", "ki": { "alpha": 0.5 } } ]
//   }
//
// "data" is a built-in corpus name, or your own files (src/data/files.ts), relative to the spec
// file: a path, directory or glob, a list of them, or { "files": ..., "validation": ...,
// "textField": "text", "sampleBy": "paragraph" } (ligo train's --data, --val-data, --text-field,
// --sample-by); they are tokenised into the shared token cache before the run (own-data.ts).
//
// A config is a preset name or an inline HuggingFace config object (HF defaults fill the rest);
// vocab_size always comes from the tokenizer. Image data ("fashion-mnist", "mnist") trains ViT/DeiT
// configs and takes no tokenizer or seqLen. `"seed": S` (default 0) seeds everything a run draws
// (initial weights, data order, masks, dropout, the growth's randomness); `"seeds": [0, 1, 2]`
// instead runs every leg, the small model included, once per seed (DIR/seeds/SEED/, layout.ts),
// and the report gives means and spreads; a list of one seed is the same spec as `"seed"` (same
// hash, same run directory layout). Growth options go to the method (GrowContext
// options: LiGO's steps and lr, MSLT's freezeSteps, ...); `ki` distils the small model into the
// large one during training (any method, usually scratch). Exactly one plain scratch method (no
// ki, no training changes) is the reference that savings are measured against. A method's
// `training` changes fields of the large budget for that method only (e.g. { "warmupSteps": 0 }
// for a grown model, as the paper trains them; or { "layerDrop": {}, "tokenDrop":
// { "keepRatio": 0.5 } } for progressive layer dropping and token dropping); `"carryOptimizer": true` grows the small model's Adam state
// with it (staged training). A name 'A+B' composes two fixed operators: A widens, then B deepens
// (src/grow/compose.ts), with options under each part's name. An optional `downstream` section
// fine-tunes every method's final large model on a classification dataset (Brown genres for text,
// MNIST or Fashion-MNIST for images) and reports the accuracies side by side.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RUN_OPTIONS as O, budgetProblem, checkTokenDrop, classificationDataNames, defaultOf, imageDataNames, isImageData, textDataNames, type ClassificationDataName, type DataName, type LayerDropSpec, type TokenDropSpec, type TrainingBudget, type DecayKind } from '../train/index.ts';
import { ownCorpus, sampleByChoices, type ImageDatasetName, type OwnCorpus } from '../data/index.ts';
import { COMPOSE, fixedMethods, methodNames } from '../grow/index.ts';
import { SpecError, choiceField, fail, intField, isObject, objectAt, onlyFields, optionField, stringField, type Obj } from './fields.ts';
import { at, resolveModels, standInVocab } from './configs.ts';

export { SpecError };

export const SCRATCH = 'scratch';

export type { TrainingBudget };

export interface ModelSpec {
  /** A preset name or an inline HF config object. */
  config: string | Obj;
  training: TrainingBudget;
}

export type TokenizerSpec = { vocabSize: number } | { path: string };

export interface MethodSpec {
  /** 'scratch' or a growth method's registry name. */
  name: string;
  /** Unique; names the method's directory, table row and plot line. */
  label: string;
  options: Obj;
  ki: { alpha: number; steps: number } | null;
  /** Fields of the large model's training budget this method changes (e.g. no warmup for a grown model); absent when none. */
  training?: Partial<TrainingBudget>;
  /** Staged training (Shen et al. 2022): the small model's Adam moments are grown with it and carried over; absent when not. */
  carryOptimizer?: true;
}

/** Fine-tuning every method's final large model on a classification dataset (optional). */
export interface DownstreamSpec {
  /** brown-genre for BERT/RoBERTa experiments; mnist or fashion-mnist for ViT/DeiT ones. */
  data: DownstreamData;
  /** Text pieces of at most this many tokens (0 for images). */
  seqLen: number;
  training: TrainingBudget;
  /** Labels of the methods to fine-tune (every method when the spec gives none). */
  methods: string[];
}

export type DownstreamData = ClassificationDataName | ImageDatasetName;
const downstreamData: readonly DownstreamData[] = [...classificationDataNames, ...imageDataNames];

export interface ExperimentSpec {
  name: string;
  /** A built-in dataset, or the user's own files. */
  data: DataName | OwnCorpus;
  /** null for image data. */
  tokenizer: TokenizerSpec | null;
  /** Text window length; 0 for image data. */
  seqLen: number;
  evalBatches: number;
  /** The seed (the first of `seeds` when there are several). */
  seed: number;
  /** Two or more seeds: every leg runs once per seed (absent for one seed, so one-seed specs hash as before). */
  seeds?: number[];
  small: ModelSpec;
  large: ModelSpec;
  methods: MethodSpec[];
  /** Absent when the spec has none. */
  downstream?: DownstreamSpec;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const NAME_WHAT = 'letters, digits, ".", "_", "+" or "-" (a directory name)';

/** Reads and checks a spec file; a tokenizer path is taken relative to the spec file. */
export function readSpec(path: string): ExperimentSpec {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpecError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read (${(e as Error).message})`}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (isObject(json) && isObject(json.tokenizer) && typeof json.tokenizer.path === 'string') {
    json = { ...json, tokenizer: { ...json.tokenizer, path: resolve(dirname(path), json.tokenizer.path) } };
  }
  return parseSpec(json, resolve(dirname(path)));
}

/** The checked spec with every default filled in; own data's paths are taken from baseDir. */
export function parseSpec(json: unknown, baseDir = '.'): ExperimentSpec {
  const o = objectAt(json, 'spec');
  onlyFields(o, 'spec', ['name', 'data', 'tokenizer', 'seqLen', 'evalBatches', 'seed', 'seeds', 'small', 'large', 'methods', 'downstream']);
  const data = dataField(o, baseDir);
  if (isImageData(data)) {
    for (const k of ['tokenizer', 'seqLen']) if (o[k] !== undefined) fail(`spec.${k}`, `${data} is image data: leave ${k} out (it is for text corpora)`);
  }
  const spec: ExperimentSpec = {
    name: stringField(o, 'spec', 'name', NAME, NAME_WHAT, 'experiment'),
    data,
    tokenizer: isImageData(data) ? null : tokenizerSpec(o.tokenizer),
    seqLen: isImageData(data) ? 0 : optionField(o, 'spec', O.seqLen, O.seqLen.default),
    evalBatches: optionField(o, 'spec', O.evalBatches, O.evalBatches.default),
    ...seedFields(o),
    small: modelSpec(o.small, 'spec.small'),
    large: modelSpec(o.large, 'spec.large'),
    methods: [],
  };
  spec.methods = methodSpecs(o.methods, spec.large.training);
  if (o.downstream !== undefined) spec.downstream = downstreamSpec(o.downstream, spec);
  checkModels(spec);
  return spec;
}

/** A dataset name, or the user's files (see the header). */
function dataField(o: Obj, baseDir: string): DataName | OwnCorpus {
  const names: readonly string[] = [...textDataNames, ...imageDataNames];
  const paths = (v: unknown, path: string): string[] => {
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && p !== '')) fail(path, `must be a path or a non-empty list of paths (files, directories or globs), got ${JSON.stringify(v)}`);
    return list as string[];
  };
  if (o.data === undefined || (typeof o.data === 'string' && names.includes(o.data))) return choiceField<DataName>(o, 'spec', 'data', names as DataName[]);
  if (!isObject(o.data)) return ownCorpus(paths(o.data, 'spec.data'), { baseDir });
  const d = o.data;
  onlyFields(d, 'spec.data', ['files', 'validation', 'textField', 'sampleBy']);
  return ownCorpus(paths(d.files, 'spec.data.files'), {
    validation: d.validation === undefined ? null : paths(d.validation, 'spec.data.validation'),
    read: { textField: stringField(d, 'spec.data', 'textField', /./, 'a field or column name', 'text'), sampleBy: choiceField(d, 'spec.data', 'sampleBy', sampleByChoices, 'paragraph') },
    baseDir,
  });
}

/** `seed` (default 0), or `seeds`: distinct seeds, normalised to `seed` alone when there is one. */
function seedFields(o: Obj): { seed: number; seeds?: number[] } {
  if (o.seeds === undefined) return { seed: optionField(o, 'spec', O.seed, O.seed.default) };
  if (o.seed !== undefined) fail('spec.seeds', 'give seed or seeds, not both');
  const seeds = o.seeds;
  const isSeed = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every(isSeed)) fail('spec.seeds', `must be a non-empty array of integers >= 0, got ${JSON.stringify(seeds)}`);
  if (new Set(seeds).size !== seeds.length) fail('spec.seeds', `must not repeat a seed, got ${JSON.stringify(seeds)}`);
  return seeds.length === 1 ? { seed: seeds[0] } : { seed: seeds[0], seeds: [...seeds] };
}

/** Every seed the spec runs, in order. */
export function specSeeds(spec: ExperimentSpec): number[] {
  return spec.seeds ?? [spec.seed];
}

function tokenizerSpec(v: unknown): TokenizerSpec {
  const o = objectAt(v, 'spec.tokenizer');
  onlyFields(o, 'spec.tokenizer', ['vocabSize', 'path']);
  if ((o.vocabSize === undefined) === (o.path === undefined)) fail('spec.tokenizer', 'give exactly one of vocabSize (train a tokenizer on the training split) or path (a tokenizer.json)');
  if (o.path !== undefined) return { path: stringField(o, 'spec.tokenizer', 'path', /./, 'a path to a tokenizer.json') };
  return { vocabSize: intField(o, 'spec.tokenizer', 'vocabSize', 64) };
}

function modelSpec(v: unknown, path: string): ModelSpec {
  const o = objectAt(v, path);
  onlyFields(o, path, ['config', 'training']);
  if (typeof o.config !== 'string' && !isObject(o.config)) fail(`${path}.config`, `must be a preset name or a config object, got ${JSON.stringify(o.config)}`);
  return { config: o.config, training: budget(o.training, `${path}.training`) };
}

const budgetFields = ['steps', 'batchSize', 'lr', 'warmupSteps', 'decay', 'weightDecay', 'clipNorm', 'accumSteps', 'evalEvery', 'saveEvery', 'layerDrop', 'tokenDrop'] as const;

/** A training budget: the run options placed in "training" (src/train/options.ts), with their defaults; steps has none (a budget says how long). */
function budget(v: unknown, path: string): TrainingBudget {
  const o = objectAt(v, path);
  onlyFields(o, path, budgetFields);
  const field = (option: (typeof O)[keyof typeof O], fallback?: number) => optionField(o, path, option, fallback);
  const steps = field(O.steps);
  const b: TrainingBudget = {
    steps,
    batchSize: field(O.batchSize, O.batchSize.default),
    lr: field(O.lr, O.lr.default),
    warmupSteps: field(O.warmup, O.warmup.default),
    decay: optionField<DecayKind>(o, path, O.schedule, O.schedule.default),
    weightDecay: field(O.weightDecay, O.weightDecay.default),
    clipNorm: field(O.clip, O.clip.default),
    accumSteps: field(O.accum, O.accum.default),
    evalEvery: field(O.evalEvery, defaultOf(O.evalEvery, steps)),
    saveEvery: field(O.saveEvery, defaultOf(O.saveEvery, steps)),
  };
  const problem = budgetProblem(b);
  if (problem) fail(`${path}.warmupSteps`, problem);
  if (o.layerDrop !== undefined) b.layerDrop = layerDropSpec(o.layerDrop, `${path}.layerDrop`);
  if (o.tokenDrop !== undefined) b.tokenDrop = tokenDropSpec(o.tokenDrop, `${path}.tokenDrop`);
  return b;
}

function layerDropSpec(v: unknown, path: string): LayerDropSpec {
  const o = objectAt(v, path);
  onlyFields(o, path, ['thetaBar', 'gamma']);
  return { thetaBar: optionField(o, path, O.layerDropTheta, O.layerDropTheta.default), gamma: optionField(o, path, O.layerDropGamma, O.layerDropGamma.default) };
}

function tokenDropSpec(v: unknown, path: string): TokenDropSpec {
  const o = objectAt(v, path);
  onlyFields(o, path, ['keepRatio']);
  return { keepRatio: optionField(o, path, O.tokenDrop, O.tokenDrop.default) };
}

function methodSpecs(v: unknown, large: TrainingBudget): MethodSpec[] {
  if (!Array.isArray(v) || v.length === 0) fail('spec.methods', `must be a non-empty array of methods, got ${JSON.stringify(v)}`);
  const methods = v.map((m, i) => methodSpec(m, `spec.methods[${i}]`, large));
  methods.forEach((m, i) => {
    if (methods.findIndex((n) => n.label === m.label) !== i) fail(`spec.methods[${i}].label`, `'${m.label}' is used twice: give each method its own label`);
  });
  if (methods.filter(isReference).length !== 1) fail('spec.methods', `needs exactly one plain { "name": "scratch" } (no ki): the reference that savings are measured against`);
  return methods;
}

function methodSpec(v: unknown, path: string, large: TrainingBudget): MethodSpec {
  const o = objectAt(v, path);
  onlyFields(o, path, ['name', 'label', 'options', 'ki', 'training', 'carryOptimizer']);
  const name = methodName(o, path);
  const label = stringField(o, path, 'label', NAME, NAME_WHAT, name);
  const options = o.options === undefined ? {} : objectAt(o.options, `${path}.options`);
  if (name === SCRATCH && Object.keys(options).length > 0) fail(`${path}.options`, 'scratch takes no options (knowledge inheritance is the ki field)');
  const training = o.training === undefined ? null : budgetOverride(o.training, `${path}.training`, large);
  const m: MethodSpec = { name, label, options, ki: null, ...(training ? { training } : {}), ...(carryOptimizer(o, path, name) ? { carryOptimizer: true as const } : {}) };
  m.ki = o.ki === undefined ? null : kiSpec(o.ki, `${path}.ki`, methodBudget(large, m).steps);
  return m;
}

/** Whether the method carries the small model's optimizer state (fixed operators only: growAdamState). */
function carryOptimizer(o: Obj, path: string, name: string): boolean {
  if (o.carryOptimizer === undefined || o.carryOptimizer === false) return false;
  if (o.carryOptimizer !== true) fail(`${path}.carryOptimizer`, `must be true or false, got ${JSON.stringify(o.carryOptimizer)}`);
  if (!fixedMethods.some((f) => f.name === name)) fail(`${path}.carryOptimizer`, `${name} has no optimizer-state growth; use one of ${fixedMethods.map((f) => f.name).join(', ')}`);
  return true;
}

/** 'scratch', a growth method, or 'A+B': width grown by A, then depth by B (COMPOSE in src/grow). */
function methodName(o: Obj, path: string): string {
  const names = [SCRATCH, ...methodNames()];
  if (typeof o.name === 'string' && o.name.includes(COMPOSE)) {
    o.name.split(COMPOSE).forEach((part) => choiceField({ name: part }, path, 'name', methodNames()));
    return o.name;
  }
  return choiceField(o, path, 'name', names);
}

function downstreamSpec(v: unknown, spec: ExperimentSpec): DownstreamSpec {
  const path = 'spec.downstream';
  const o = objectAt(v, path);
  onlyFields(o, path, ['data', 'seqLen', 'training', 'methods']);
  const data = choiceField(o, path, 'data', downstreamData);
  if ((data === 'brown-genre') === isImageData(spec.data)) fail(`${path}.data`, `${spec.data} experiments fine-tune on ${isImageData(spec.data) ? 'mnist or fashion-mnist' : 'brown-genre'}, got ${data}`);
  if (data !== 'brown-genre' && o.seqLen !== undefined) fail(`${path}.seqLen`, `${data} is image data: leave seqLen out`);
  const labels = spec.methods.map((m) => m.label);
  const methods = o.methods === undefined ? labels : o.methods;
  if (!Array.isArray(methods) || methods.length === 0 || methods.some((l) => !labels.includes(l))) fail(`${path}.methods`, `must be a non-empty list of method labels (${labels.join(', ')}), got ${JSON.stringify(o.methods)}`);
  return { data, seqLen: data === 'brown-genre' ? optionField(o, path, O.seqLen, spec.seqLen) : 0, training: budget(o.training, `${path}.training`), methods: methods as string[] };
}

/** A method's changes to the large budget: the fields it gives, checked as part of the merged budget. */
function budgetOverride(v: unknown, path: string, large: TrainingBudget): Partial<TrainingBudget> {
  const o = objectAt(v, path);
  onlyFields(o, path, budgetFields);
  const merged = budget({ ...large, ...o }, path);
  return Object.fromEntries(budgetFields.filter((k) => k in o).map((k) => [k, merged[k]]));
}

/** The large model's training budget for a method: the spec's, with the method's own changes. */
export function methodBudget(large: TrainingBudget, m: MethodSpec): TrainingBudget {
  return { ...large, ...m.training };
}

function kiSpec(v: unknown, path: string, largeSteps: number): MethodSpec['ki'] {
  const o = objectAt(v, path);
  onlyFields(o, path, ['alpha', 'steps']);
  return { alpha: optionField(o, path, O.kiAlpha, O.kiAlpha.default), steps: optionField(o, path, O.kiSteps, defaultOf(O.kiSteps, largeSteps)) };
}

/**
 * Spec-time check of the configs against the data and each other, and of token dropping against
 * them: checks of fields, nothing grown or trained. The growth methods are checked when the
 * experiment starts (check.ts).
 */
function checkModels(spec: ExperimentSpec): void {
  const { small, large } = resolveModels(spec, standInVocab(spec));
  spec.methods.forEach((m, i) => {
    const { tokenDrop } = methodBudget(spec.large.training, m);
    if (tokenDrop) at(`spec.methods[${i}].training.tokenDrop`, () => checkTokenDrop(large, tokenDrop));
  });
  const smallDrop = spec.small.training.tokenDrop;
  if (smallDrop) at('spec.small.training.tokenDrop', () => checkTokenDrop(small, smallDrop));
}

/** The plain scratch run (no KI, the spec's large budget as it is): the reference for savings. */
export function isReference(m: MethodSpec): boolean {
  return m.name === SCRATCH && m.ki === null && m.training === undefined;
}

/** Whether a method needs the small model (to grow from, or as KI teacher). */
export function usesSmall(m: MethodSpec): boolean {
  return m.name !== SCRATCH || m.ki !== null;
}

/** JSON with object keys sorted, so equal specs hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** 12 hex digits of the SHA-256 of the normalised spec. */
export function specHash(spec: ExperimentSpec): string {
  return createHash('sha256').update(canonical(spec)).digest('hex').slice(0, 12);
}
