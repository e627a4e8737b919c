// `ligo methods [NAME]` and `ligo presets`: what `ligo grow --method`, `--option` and
// `--config`/`--to` accept, with each method's options (defaults and meaning, from the method's
// own option list) and each preset's sizes. `ligo grow --method NAME --help` appends that
// method's part (methodHelp). Results on stdout.

import { Command } from 'commander';
import { UsageError, guarded } from './common.ts';
import { getMethod, methodNames, type GrowMethod } from '../grow/index.ts';
import { dims, parameterCount, preset, presetNames } from '../models/index.ts';

/** A value as typed after --option NAME= (text plain, the rest JSON). */
const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** A method's description, what it grows and its options, as indented lines. */
export function methodHelp(m: GrowMethod): string {
  const grows = [m.grows.depth && 'depth', m.grows.width && 'width'].filter(Boolean).join(' and ');
  const traits = [`grows ${grows}`, m.functionPreserving ? 'function-preserving' : 'not function-preserving', m.needsData ? 'learns from --data' : 'needs no data'].join('; ');
  const lines = [`${m.name}: ${m.description}`, `  ${traits}`, ...(m.guidance ? [`  guidance: ${m.guidance}`] : [])];
  const options = Object.entries(m.options ?? {});
  if (options.length === 0) lines.push('  options: none');
  else {
    lines.push(`  options (--option NAME=VALUE):`);
    const width = Math.max(...options.map(([name, o]) => name.length + shown(o.default).length + 3));
    for (const [name, o] of options) lines.push(`    ${`${name}=${shown(o.default)}`.padEnd(width)} ${o.meaning} (${o.expected})`);
  }
  return lines.join('\n');
}

export function registerCatalog(program: Command): void {
  const methods = program
    .command('methods')
    .description("list the growth methods with what they grow and their options (defaults and meaning); A+B composes a width method A with a depth method B")
    .argument('[name]', 'one method')
    .addHelpText('after', '\nExamples:\n  ligo methods\n  ligo methods ligo');
  guarded(methods, async (name: string | undefined) => {
    if (name !== undefined && !methodNames().includes(name)) throw new UsageError(`unknown growth method '${name}': use one of ${methodNames().join(', ')}`);
    console.log((name ? [name] : methodNames()).map((n) => methodHelp(getMethod(n))).join('\n\n'));
  });

  const presets = program
    .command('presets')
    .description('list the model presets (for --config and --to) with their sizes and parameter counts')
    .addHelpText('after', '\nExample:\n  ligo presets');
  guarded(presets, async () => {
    const rows = presetNames.map((name) => {
      const c = preset(name);
      const d = dims(c);
      const parameters = parameterCount(c);
      const input = 'image_size' in c ? `${c.image_size}x${c.image_size} images` : `vocabulary ${c.vocab_size}`;
      return [name, c.model_type, String(d.layers), String(d.hidden), String(d.heads), String(d.ffn), `${(parameters / 1e6).toFixed(1)}M`, input];
    });
    const table = [['preset', 'family', 'layers', 'hidden', 'heads', 'ffn', 'parameters', 'input'], ...rows];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    console.log(table.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n'));
  });
}
