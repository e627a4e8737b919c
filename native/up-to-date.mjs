// Whether the native addon is built from the sources beside it: built, and newer than binding.gyp
// and every file under native/src. An addon built before a change to native/src (a pull without
// `npm run build:native`, an edit) still loads and matches the declared boundary, but runs the old
// kernels; loading it says so (src/tensor/native.ts), so neither `ligo`, the benchmarks nor a
// program importing the package trains or measures with them silently; bench lines also carry
// the state (bench/machine.ts).
//
// Run as a script, it is npm's install step: it exits 0 (and the build is skipped) when the addon
// is current, else 1 (and node-gyp builds it). So `npm install` again, or `npx ligo`'s first call
// in a checkout (which runs the install step), does not spend a minute rebuilding an addon that is
// current; `npm run build:native` always rebuilds.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('./', import.meta.url));

/**
 * 'current', 'stale' (built, but older than a source), or 'missing' (not built), for the native
 * directory `dir` (this file's by default).
 */
export function addonState(dir = here) {
  const built = join(dir, 'build', 'Release', 'ligo_native.node');
  if (!existsSync(built)) return 'missing';
  const src = join(dir, 'src');
  const sources = [join(dir, 'binding.gyp'), ...(existsSync(src) ? readdirSync(src).map((f) => join(src, f)) : [])];
  const builtAt = statSync(built).mtimeMs;
  return sources.every((s) => !existsSync(s) || statSync(s).mtimeMs <= builtAt) ? 'current' : 'stale';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const current = addonState() === 'current';
  if (current) console.log('ligo: the native addon is up to date (npm run build:native rebuilds it)');
  process.exit(current ? 0 : 1);
}
