// src/io/version.ts: the commit a checkout is at, read from .git without running git, in a plain
// checkout (loose or packed branch ref, detached HEAD) and in a git worktree (.git is a file naming
// its gitdir; branches live in the common directory).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { headCommit } from '../src/io/version.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function write(path: string, text: string): void {
  fs.mkdirSync(join(path, '..'), { recursive: true });
  fs.writeFileSync(path, text);
}

test('a checkout: a loose or packed branch ref, or a detached HEAD; none outside git', () => {
  const root = fs.mkdtempSync(join(os.tmpdir(), 'ligo-version-'));
  assert.equal(headCommit(root), null);
  write(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  write(join(root, '.git', 'packed-refs'), `# pack-refs\n${B} refs/heads/main\n`);
  assert.equal(headCommit(root), B);
  write(join(root, '.git', 'refs', 'heads', 'main'), `${A}\n`);
  assert.equal(headCommit(root), A);
  write(join(root, '.git', 'HEAD'), `${B}\n`);
  assert.equal(headCommit(root), B);
});

test('a git worktree: .git names its gitdir (absolute or relative); branches come from the common directory', () => {
  const repo = fs.mkdtempSync(join(os.tmpdir(), 'ligo-version-repo-'));
  write(join(repo, '.git', 'refs', 'heads', 'topic'), `${A}\n`);
  const gitdir = join(repo, '.git', 'worktrees', 'wt');
  write(join(gitdir, 'commondir'), '../..\n');
  const wt = fs.mkdtempSync(join(os.tmpdir(), 'ligo-version-wt-'));
  write(join(wt, '.git'), `gitdir: ${gitdir}\n`);
  write(join(gitdir, 'HEAD'), 'ref: refs/heads/topic\n');
  assert.equal(headCommit(wt), A, 'a branch checked out in the worktree');
  write(join(gitdir, 'HEAD'), `${B}\n`);
  assert.equal(headCommit(wt), B, 'a detached worktree');
});
