// A run directory lock: `RUN_DIR/lock` holds the owner's pid. A second run on the same directory
// refuses with a message naming that pid, unless the process is gone (killed, crashed), in which
// case the stale lock is taken over. The file is created with O_EXCL, so two starts racing for a
// free directory cannot both win. Within one process the lock is re-entrant (the CLI takes it
// before preparing the directory, then train() takes it again).

import fs from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../io/index.ts';

export const LOCK_FILE = 'lock';

export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

export interface RunLock {
  path: string;
  release(): void;
}

function readOwner(path: string): number | null {
  try {
    const pid = Number(JSON.parse(fs.readFileSync(path, 'utf8')).pid);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

function tryCreate(path: string): boolean {
  try {
    fs.writeFileSync(path, `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Locks this process holds, with how many times each was taken (acquiring is re-entrant). */
const held = new Map<string, number>();

function handle(path: string): RunLock {
  held.set(path, (held.get(path) ?? 0) + 1);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const n = held.get(path)! - 1;
    if (n > 0) return void held.set(path, n);
    held.delete(path);
    if (readOwner(path) === process.pid) fs.rmSync(path, { force: true });
  };
  return { path, release };
}

/** Takes the lock on runDir (creating the directory), or throws RunLockedError. Re-entrant within a process. */
export function acquireRunLock(runDir: string): RunLock {
  fs.mkdirSync(runDir, { recursive: true });
  const path = join(runDir, LOCK_FILE);
  if (held.has(path)) return handle(path);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(path)) return handle(path);
    const owner = readOwner(path);
    if (owner !== null && owner !== process.pid && processAlive(owner)) {
      throw new RunLockedError(`run directory ${runDir} is in use by process ${owner} (lock file ${path}); wait for that run to finish or stop it, or choose another --out`);
    }
    fs.rmSync(path, { force: true }); // stale: its process is gone
  }
  throw new RunLockedError(`run directory ${runDir}: could not take the lock ${path} (another run keeps taking it)`);
}
