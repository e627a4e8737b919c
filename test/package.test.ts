// The package as another project gets it: `npm pack` (whose prepack step compiles src/ to dist/
// with .d.ts types), the tarball installed into a fresh project, then, there:
//   - an .mjs imports `ligo`, grows a BERT with bert2bert-fpi (function preserving: the grown
//     model's logits equal the small model's) and runs it;
//   - a .ts using the types, and the README's `from 'ligo'` examples, type-check with tsc (strict,
//     the package's .d.ts files checked too);
//   - the installed `ligo` command runs.
// The install skips the addon build (--ignore-scripts; LIGO_BACKEND=reference) and takes
// dependencies from the npm cache when it has them (--prefer-offline), else from the registry.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-package-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const GROW_MJS = `import { preset, modelFor, getMethod, tensor, getBackend } from 'ligo';
const small = preset('bert-tiny', { vocab_size: 100 });
const large = { ...small, hidden_size: 2 * small.hidden_size, intermediate_size: 2 * small.intermediate_size, num_attention_heads: 2 * small.num_attention_heads };
const smallParams = modelFor(small).initParams(small, 0);
const grown = getMethod('bert2bert-fpi').grow(new Map(modelFor(small).flatten(smallParams)), small, large, { seed: 0 });
const { params } = modelFor(large).paramsFromFlat(large, grown.params);
const inputIds = tensor([2, 7, 9, 3], [1, 4], 'int32');
const a = modelFor(small).forward(smallParams, small, { inputIds }).f;
const b = modelFor(large).forward(params, large, { inputIds }).f;
let maxDiff = 0;
for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
console.log(JSON.stringify({ backend: getBackend().name, hidden: large.hidden_size, logits: b.length, maxDiff }));
`;

const GROW_TS = `import { preset, modelFor, getMethod, saveCheckpoint, trainWordPiece, T, type BertConfig, type Tensor } from 'ligo';
const small = preset<BertConfig>('bert-tiny', { vocab_size: 100 });
const large: BertConfig = { ...small, num_hidden_layers: 2 * small.num_hidden_layers };
const flat = new Map<string, Tensor>(modelFor(small).flatten(modelFor(small).initParams(small, 0)));
const grown: Map<string, Tensor> = getMethod('stackbert').grow(flat, small, large, { seed: 0 }).params;
const doubled: Tensor = T.scale(grown.get('bert.embeddings.word_embeddings.weight')!, 2);
const tokenizer = trainWordPiece(['a small corpus'], { vocabSize: 100 });
saveCheckpoint('out', { config: large, tensors: grown, tokenizer: tokenizer.toJSON() });
console.log(doubled.shape);
`;

test('npm pack, install into a fresh project, import from ligo (JS and type-checked TS), grow a model, run the bin', () => {
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], ROOT)) as { filename: string; files: { path: string }[] }[];
  const files = packed[0]!.files.map((f) => f.path);
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'bin/ligo.js', 'native/binding.gyp', 'native/src/addon.cc', 'experiments/demo.json', 'package.json', 'README.md']) assert.ok(files.includes(f), `the tarball holds ${f}`);
  assert.deepEqual(files.filter((f) => /^(src|test|scripts|bench)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no sources, tests or scripts in the tarball');

  const app = join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  npm(['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(tmp, packed[0]!.filename)], app);
  const env = { ...process.env, LIGO_BACKEND: 'reference' };

  fs.writeFileSync(join(app, 'grow.mjs'), GROW_MJS);
  const out = JSON.parse(execFileSync(process.execPath, ['grow.mjs'], { cwd: app, env, encoding: 'utf8' }));
  assert.equal(out.backend, 'reference');
  assert.equal(out.hidden, 256);
  assert.equal(out.logits, 4 * 100);
  assert.ok(out.maxDiff < 1e-5, `bert2bert-fpi preserves the function: logits differ by ${out.maxDiff}`);

  fs.writeFileSync(join(app, 'grow.ts'), GROW_TS);
  const readme = [...fs.readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes("from 'ligo'"));
  assert.ok(readme.length >= 2, 'the README shows the library through the package');
  readme.forEach((block, i) => fs.writeFileSync(join(app, `readme-${i}.ts`), block));
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, typeRoots: [join(ROOT, 'node_modules', '@types')], types: ['node'] };
  fs.writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['grow.ts', ...readme.map((_, i) => `readme-${i}.ts`)] }));
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc in the project that installed ligo:\n${(e as { stdout?: string }).stdout ?? e}`);
  }

  const bin = execFileSync(join(app, 'node_modules', '.bin', 'ligo'), ['backend'], { cwd: app, env, encoding: 'utf8' });
  assert.match(bin, /reference/);
});
