// npm's install step runs this first: it exits 0 (and the build is skipped) when the native addon
// is already built and newer than binding.gyp and every file under native/src, else 1 (and
// node-gyp builds it). So `npm install` again, or `npx ligo`'s first call in a checkout (which
// runs the install step), does not spend a minute rebuilding an addon that is current;
// `npm run build:native` always rebuilds.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = fileURLToPath(new URL('./', import.meta.url));
const built = join(native, 'build', 'Release', 'ligo_native.node');
const sources = [join(native, 'binding.gyp'), ...readdirSync(join(native, 'src')).map((f) => join(native, 'src', f))];
const builtAt = existsSync(built) ? statSync(built).mtimeMs : -Infinity;
const current = sources.every((s) => statSync(s).mtimeMs <= builtAt);
if (current) console.log('ligo: the native addon is up to date (npm run build:native rebuilds it)');
process.exit(current ? 0 : 1);
