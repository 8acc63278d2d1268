import { closeSync, fsyncSync, openSync, promises as fsp, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** rename with retries: on Windows a reader (antivirus, the results view) briefly holds the file. */
export function renameWithRetry(from: string, to: string): void {
  for (let i = 0; ; i++) {
    try {
      renameSync(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'EPERM' || code === 'EBUSY' || code === 'EACCES') && i < 10) { sleepSync(20 * (i + 1)); continue; }
      throw err;
    }
  }
}

/** fsync a directory so a rename inside it survives a power cut (no-op where unsupported). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open directories; the rename is as durable as it gets there.
  } finally {
    if (fd !== undefined) try { closeSync(fd); } catch { /* ignore */ }
  }
}

/** A hidden, unique temp path beside `target` (same folder, so the rename stays atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes a file so readers see either the old or the new content, never a mix: temp file in the
 * same folder, fsync, rename, fsync the folder. `write` receives the temp file's descriptor.
 */
export async function writeAtomic(target: string, write: (fd: number, tempPath: string) => void | Promise<void>): Promise<void> {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, 'w');
  let closed = false;
  try {
    await write(fd, tmp);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameWithRetry(tmp, target);
    fsyncDir(dirname(target));
  } catch (err) {
    if (!closed) try { closeSync(fd); } catch { /* ignore */ }
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes a whole file and fsyncs it (no rename: for temp files). */
export function writeFileSynced(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * writeAtomic for synchronous writers (a streamed build that must not leave half a file): temp
 * file beside `target`, fsync, rename with retries, fsync the folder; the temp file is removed on
 * any failure.
 */
export function writeAtomicSync(target: string, write: (fd: number) => void): void {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, 'w');
  let closed = false;
  try {
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameWithRetry(tmp, target);
  } catch (err) {
    if (!closed) try { closeSync(fd); } catch { /* ignore */ }
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(target));
}

/** Atomic write of a whole buffer or string. */
export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  writeAtomicSync(target, (fd) => {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  });
}

/** Async rename with the same retries as renameWithRetry; `rename` is injectable for tests. */
export async function renameWithRetryAsync(from: string, to: string, rename: (a: string, b: string) => Promise<void> = fsp.rename): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES') || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
    }
  }
}

/** Async fsyncDir: same guarantees, without blocking the event loop. */
async function fsyncDirAsync(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const handle = await fsp.open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch { /* some file systems refuse fsync on directories; the rename is still atomic */ } finally {
    await handle.close().catch(() => undefined);
  }
}

export interface WriteFileAtomicOptions {
  /** Mode of a newly created file (default 0o666 before umask). */
  mode?: number;
  /** Runs after the temp file is durable, just before the rename (e.g. to keep a backup). */
  beforeRename?: () => Promise<void>;
}

/**
 * Async atomic write of a whole buffer or string: temp file in the same folder, fsync, rename
 * (retrying EPERM/EBUSY), fsync the folder. Readers see the old or the new content, never half.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, opts: WriteFileAtomicOptions = {}): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    const handle = await fsp.open(tmp, 'w', opts.mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await opts.beforeRename?.();
    await renameWithRetryAsync(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDirAsync(dirname(target));
}
