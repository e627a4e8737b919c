#!/usr/bin/env node
// The `ligo` command. In a checkout of the repository it runs the TypeScript CLI (src/) through
// tsx, so no build step is needed; an installed package has no src/ and runs the compiled
// dist/ that `npm pack` builds (npm run build).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
