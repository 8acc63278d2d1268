import { existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ExpectedError } from '../errors';
import { tempPathFor } from '../storage/atomic';
import { RUN_FILES } from './names';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockInfo { pid: number; host: string; at: string }

function readLock(file: string): LockInfo | undefined {
  try { return JSON.parse(readFileSync(file, 'utf8')) as LockInfo; } catch { return undefined; }
}

/**
 * True when a live process holds the run (same host: by pid; other host: touched in the last minute).
 * The lock is created whole (written aside, then hard-linked into place), so an unreadable lock
 * was not written by a live holder and does not count.
 */
export function isLocked(runDir: string): boolean {
  const file = join(runDir, RUN_FILES.lock);
  if (!existsSync(file)) return false;
  const info = readLock(file);
  if (!info || typeof info.pid !== 'number') return false;
  if (info.host === hostname()) return info.pid === process.pid || pidAlive(info.pid);
  return Date.now() - statSync(file).mtimeMs < 60_000;
}

export class RunLockedError extends ExpectedError {
  override name = 'RunLockedError';
}

/**
 * Takes `run.lock` so two processes never append to the same run. A lock left by a dead process
 * (kill -9) is taken over at once. The content is written to a temp file first and linked into
 * place, so a kill between creating and writing the lock cannot leave an empty one behind.
 */
export function acquireRunLock(runDir: string): () => void {
  const file = join(runDir, RUN_FILES.lock);
  const tmp = tempPathFor(file);
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }));
  try {
    for (let i = 0; i < 3; i++) {
      try {
        linkSync(tmp, file);
        return () => { if (readLock(file)?.pid === process.pid) rmSync(file, { force: true }); };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (isLocked(runDir)) {
          const info = readLock(file);
          throw new RunLockedError(`run ${runDir} is in use by another process${info ? ` (pid ${info.pid} on ${info.host})` : ''}`);
        }
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  throw new RunLockedError(`could not lock ${runDir}`);
}
