// Atomic file writes: the data goes to a temporary file in the target's directory, is flushed
// to disk, then renamed over the target, so readers see either the old file or the complete
// new one, never a partial write. The one place in the project that writes files atomically.
// Also whether the process that owns a file still runs (a lock's or a partial build's pid).

import fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes `data` to `path` atomically; on failure the temporary file is removed and any old file at `path` is left as it was. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeAndSync(temp, data);
    fs.renameSync(temp, path);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  syncDirectory(dirname(path));
}

function writeAndSync(path: string, data: Uint8Array | string): void {
  const fd = fs.openSync(path, 'wx');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes the rename itself durable; best effort, as some platforms (Windows) cannot fsync a directory. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // the file is already in place; only durability across a crash is weaker here
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Whether process `pid` still runs (a lock's owner, the builder of a partial directory): EPERM means it runs as another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
