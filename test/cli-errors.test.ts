// The CLI's contract for bad input it cannot know in advance: an output location that cannot be
// used gives one line on stderr saying so and what to change, and exit code 2 (not a stack
// trace, not 1). Root ignores permission bits, so the unusable place is a path under a file.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeError } from '../src/cli/common.ts';

const LIGO = fileURLToPath(new URL('../bin/ligo.js', import.meta.url));
const DEMO_SPEC = fileURLToPath(new URL('../experiments/demo.json', import.meta.url));
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ligo-cli-errors-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = join(tmp, 'a-file');
fs.writeFileSync(file, 'not a directory');

function ligo(...args: string[]) {
  return spawnSync(process.execPath, [LIGO, ...args], { encoding: 'utf8', env: { ...process.env, LIGO_BACKEND: 'reference' } });
}

test('an output directory under a file: one error line, no stack trace, exit code 2, for train, experiment and demo', () => {
  const runs = [
    ['train', ['--config', 'bert-tiny', '--data', 'sotu', '--out', join(file, 'run'), '--steps', '2']],
    ['experiment', [DEMO_SPEC, '--out', join(file, 'exp')]],
    ['demo', ['--out', join(file, 'demo')]],
  ] as const;
  for (const [command, args] of runs) {
    const r = ligo(command, ...args);
    assert.equal(r.status, 2, `${command}: exit ${r.status}, stderr ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.ok(!lines.some((l) => /^\s+at /.test(l)), `${command}: stack trace on stderr:\n${r.stderr}`);
    const errors = lines.filter((l) => l.includes(': error:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.equal(lines[lines.length - 1], errors[0], 'the error is the last line');
    assert.match(errors[0]!, new RegExp(`^ligo ${command}: error: cannot use .*a-file.*: a parent of this path is a file, not a directory; choose another location$`));
  }
});

test('describeError: filesystem codes with a path are the user\'s to fix; other errors keep their class', () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC', path: '/data/run' });
  assert.deepEqual(describeError(enospc), { message: 'cannot use /data/run: no space left on the device; choose another location', usage: true });
  assert.deepEqual(describeError(new TypeError('boom\nstack')), { message: 'boom', usage: false });
  const config = Object.assign(new Error('hidden size 30 is not divisible by 4 heads'), { name: 'ConfigError' });
  assert.equal(describeError(config).usage, true);
});
