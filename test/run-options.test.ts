// The run options' one table (src/train/options.ts): for every option `ligo train` and experiment
// specs share, a bad value gets the same reason from `ligo train`'s flag parser (commander, driven
// in process) and from the spec parser, `ligo grow`'s --seed, --batch-size and --seq-len refuse
// as `ligo train`'s do, and a spec's defaults are the flags' defaults.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { registerTrain } from '../src/cli/train.ts';
import { registerGrow } from '../src/cli/grow.ts';
import { SpecError, parseSpec } from '../src/experiment/index.ts';
import { RUN_OPTIONS, defaultOf, type Range, type RunOption } from '../src/train/index.ts';
import { bert, tinySpec } from './run-fixtures.ts';

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-run-options-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Values outside the range: its edge, and text that is not a number (or not a choice). */
function badValues(r: Range): (number | string)[] {
  if (r.kind === 'choice') return ['fastest'];
  const edge = r.kind === 'int' ? r.min - 1 : r.openMin ? r.min : r.max + 1;
  return [edge, 'many'];
}

/** The one line `ligo NAME` prints for these arguments, parsed in process (nothing runs: the flag is refused first). */
async function cliRefusal(name: 'train' | 'grow', args: string[]): Promise<string> {
  const program = new Command();
  if (name === 'train') registerTrain(program);
  else registerGrow(program);
  let line = '';
  const cmd = program.commands.find((c) => c.name() === name)!;
  cmd.exitOverride().configureOutput({ writeErr: (s) => void (line += s) });
  await assert.rejects(program.parseAsync(['node', 'ligo', name, ...args, '--out', join(tmp, 'never')]));
  return line.trim();
}

/** The reason in "ligo train: error: option '--lr <x>' argument '0' is invalid. REASON". */
function cliReason(line: string, option: RunOption, text: string): string {
  const prefix = `error: option '${option.flag}' argument '${text}' is invalid. `;
  const at = line.indexOf(prefix);
  assert.ok(at >= 0 && !line.includes('\n'), `one line naming ${option.flag}: ${line}`);
  return line.slice(at + prefix.length);
}

/** A tiny spec with `value` in the option's field (a KI method for ki options, the large budget's technique objects). */
function specWith(option: RunOption, value: unknown): { spec: Record<string, any>; path: string } {
  const s = tinySpec();
  const set = (o: Record<string, any>, path: string) => ((o[option.field] = value), { spec: s, path: `${path}.${option.field}` });
  switch (option.place) {
    case 'spec':
      return set(s, 'spec');
    case 'training':
      return set(s.large.training, 'spec.large.training');
    case 'ki':
      s.methods.push({ name: 'scratch', label: 'ki', ki: {} });
      return set(s.methods[2].ki, 'spec.methods[2].ki');
    case 'layerDrop':
    case 'tokenDrop':
      s.large.training[option.place] = {};
      return set(s.large.training[option.place], `spec.large.training.${option.place}`);
  }
}

/** The reason in "spec.large.training.lr: REASON, got 0". */
function specReason(option: RunOption, value: unknown): string {
  const { spec, path } = specWith(option, value);
  try {
    parseSpec(spec);
  } catch (e) {
    assert.ok(e instanceof SpecError, String(e));
    const suffix = `, got ${JSON.stringify(value)}`;
    assert.ok(e.message.startsWith(`${path}: `) && e.message.endsWith(suffix), `${path} named: ${e.message}`);
    return e.message.slice(path.length + 2, -suffix.length);
  }
  assert.fail(`${path}: ${JSON.stringify(value)} was accepted`);
}

test('every shared option: a bad value gets the same reason from ligo train and from a spec', async () => {
  for (const [key, option] of Object.entries(RUN_OPTIONS) as [string, RunOption][]) {
    for (const value of badValues(option.range)) {
      const text = String(value);
      const cli = cliReason(await cliRefusal('train', [option.flag.split(' ')[0]!, text]), option, text);
      assert.match(cli, /^must be /, key);
      assert.equal(specReason(option, value), cli, `${key} = ${text}`);
    }
  }
});

test("ligo grow's --seed, --batch-size and --seq-len refuse as ligo train's do", async () => {
  for (const option of [RUN_OPTIONS.seed, RUN_OPTIONS.batchSize, RUN_OPTIONS.seqLen]) {
    const [value] = badValues(option.range);
    const flag = option.flag.split(' ')[0]!;
    const grow = cliReason(await cliRefusal('grow', ['--from', tmp, '--method', 'stackbert', flag, String(value)]), option, String(value));
    assert.equal(grow, cliReason(await cliRefusal('train', [flag, String(value)]), option, String(value)), flag);
  }
});

test('--eval-every 0 (validate only at the end) is valid on the command line and in a spec alike', () => {
  const program = new Command();
  registerTrain(program);
  const flag = program.commands.find((c) => c.name() === 'train')!.options.find((f) => f.long === '--eval-every')!;
  assert.equal(flag.parseArg!('0', undefined), 0);
  const { spec } = specWith(RUN_OPTIONS.evalEvery, 0);
  assert.equal(parseSpec(spec).large.training.evalEvery, 0);
});

test("a spec's defaults are ligo train's", () => {
  const program = new Command();
  registerTrain(program);
  const flags = program.commands.find((c) => c.name() === 'train')!.options;
  const s = tinySpec();
  delete s.evalBatches;
  s.large = { config: bert(3), training: { steps: 400 } }; // 3 layers: token dropping's least
  s.methods.push({ name: 'scratch', label: 'ki', ki: {} }, { name: 'scratch', label: 'fast', training: { layerDrop: {}, tokenDrop: {} } });
  const spec = parseSpec(s);
  const fast = { ...spec.large.training, ...spec.methods[3]!.training };
  const parsed: Record<string, Record<string, unknown>> = { spec: spec as unknown as Record<string, unknown>, training: spec.large.training as unknown as Record<string, unknown>, ki: spec.methods[2]!.ki!, layerDrop: { ...fast.layerDrop }, tokenDrop: { ...fast.tokenDrop } };
  for (const [key, option] of Object.entries(RUN_OPTIONS) as [string, RunOption][]) {
    if (key === 'steps' || key === 'seqLen') continue; // steps is required in a spec; the tiny models have fewer positions than seqLen's default
    const given = flags.find((f) => f.long === option.flag.split(' ')[0])!.defaultValue;
    assert.equal(parsed[option.place]![option.field], given ?? defaultOf(option, 400), key);
  }
});
