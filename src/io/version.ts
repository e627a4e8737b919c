// Which code wrote a file: the package version, and the git commit when ligo runs from a checkout
// (read from .git without running git; null in an installed package). grow.json records it and
// report.html's metadata names it (docs/growth.md, "What a grown checkpoint records").

import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CodeVersion {
  /** package.json's version. */
  version: string;
  /** HEAD's commit, or null outside a git checkout. */
  commit: string | null;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function readIfExists(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The commit HEAD names: a detached sha, or its branch's ref (loose or packed). */
export function headCommit(root: string): string | null {
  let gitDir = join(root, '.git');
  const file = readIfExists(gitDir); // a worktree or submodule: "gitdir: PATH", absolute or relative to root
  if (file?.startsWith('gitdir: ')) gitDir = resolve(root, file.slice(8).trim());
  const head = readIfExists(join(gitDir, 'HEAD'))?.trim();
  if (!head) return null;
  if (!head.startsWith('ref: ')) return /^[0-9a-f]{40}$/.test(head) ? head : null;
  const ref = head.slice(5);
  // a worktree keeps its HEAD but shares the branches of the repository's common directory
  const common = readIfExists(join(gitDir, 'commondir'))?.trim();
  const refsDir = common ? resolve(gitDir, common) : gitDir;
  const loose = readIfExists(join(refsDir, ref))?.trim();
  if (loose) return loose;
  const packed = readIfExists(join(refsDir, 'packed-refs'))?.split('\n').find((l) => l.endsWith(` ${ref}`));
  return packed?.split(' ')[0] ?? null;
}

let cached: CodeVersion | null = null;

export function codeVersion(): CodeVersion {
  cached ??= { version: (JSON.parse(fs.readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version, commit: headCommit(ROOT) };
  return cached;
}
