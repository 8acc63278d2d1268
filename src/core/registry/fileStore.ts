import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import * as lockfile from 'proper-lockfile';
import type { Database } from 'sql.js';
import { writeFileAtomic } from '../storage/atomic';
import { RegistryStorageError } from './model';
import { applyPragmas, integrityOk, openDatabase } from './sqlite';

/** Lock waits: two busy writers take turns within seconds; a dead holder goes stale after 10 s. */
const LOCK_OPTIONS = {
  realpath: false,
  stale: 10_000,
  retries: { retries: 400, factor: 1.3, minTimeout: 5, maxTimeout: 250, randomize: true },
} as const;

/**
 * One registry SQLite file on disk, shared by processes (CLI, server, extension host).
 * Reads use an in-memory copy reloaded when the file changes; writes take a file lock, re-read the
 * file under it, apply, and replace the file atomically, so concurrent writers lose nothing.
 */
export class RegistryFile {
  private db: Database | undefined;
  private signature = '';
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Bumps whenever the in-memory copy changes, so callers can cache what they derive from it. */
  generation = 0;

  constructor(readonly path: string) {}

  /** The current database, reloaded first if another process changed the file. */
  async read(): Promise<Database> {
    this.assertOpen();
    const sig = await fileSignature(this.path);
    if (!this.db || sig !== this.signature) await this.load(sig, false);
    return this.db!;
  }

  /**
   * Applies `fn` inside a transaction to the latest file contents and writes the result.
   * If `fn` throws, nothing is written and the error propagates.
   */
  write<T>(fn: (db: Database) => T): Promise<T> {
    // Writers in this process queue up: the file lock is per process for proper-lockfile.
    const next = this.queue.then(() => this.writeLocked(fn));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    this.db?.close();
    this.db = undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('registry is closed');
  }

  private async writeLocked<T>(fn: (db: Database) => T): Promise<T> {
    this.assertOpen();
    await fsp.mkdir(dirname(this.path), { recursive: true });
    let compromised: Error | undefined;
    const release = await lockfile.lock(this.path, {
      ...LOCK_OPTIONS,
      onCompromised: (err) => { compromised = err; },
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ELOCKED') throw new RegistryStorageError(`registry ${this.path} is busy (locked by another process for too long); try again`);
      throw err;
    });
    try {
      // Always re-read under the lock (the signature alone could miss a same-size rewrite), and
      // check it fully: a write must never build on a damaged file.
      await this.load(await fileSignature(this.path), true);
      const db = this.db!;
      db.exec('BEGIN');
      let result: T;
      try {
        result = fn(db);
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
      if (compromised) throw new RegistryStorageError(`lost the registry lock while writing: ${compromised.message}`);
      const bytes = db.export();
      applyPragmas(db);
      await atomicReplace(this.path, bytes);
      this.signature = await fileSignature(this.path);
      this.generation++;
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }

  private async load(sig: string, fullCheck: boolean): Promise<void> {
    const bytes = sig === 'absent' ? undefined : await fsp.readFile(this.path).catch(notFoundAsUndefined);
    const db = await openChecked(this.path, bytes, fullCheck);
    this.db?.close();
    this.db = db;
    this.signature = sig;
    this.generation++;
  }
}

async function openChecked(path: string, bytes: Uint8Array | undefined, fullCheck: boolean): Promise<Database> {
  const primary = await openDatabase(bytes).catch((err: unknown) => err as Error);
  if (primary instanceof RegistryStorageError) throw primary; // a newer schema is not damage
  if (!(primary instanceof Error) && integrityOk(primary, fullCheck)) return primary;
  if (!(primary instanceof Error)) primary.close();
  // A damaged file falls back to the previous version kept beside it.
  const bak = await fsp.readFile(path + '.bak').catch(notFoundAsUndefined);
  if (bak) {
    const fallback = await openDatabase(bak).catch(() => undefined);
    if (fallback && integrityOk(fallback, true)) return fallback;
    fallback?.close();
  }
  const why = primary instanceof Error ? primary.message : 'integrity check failed';
  throw new RegistryStorageError(`registry file ${path} is damaged (${why}) and has no usable .bak copy`);
}

function notFoundAsUndefined(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined;
  throw err;
}

/** Identity of the file's current version: a rename gives a new inode, a write a new mtime. */
async function fileSignature(path: string): Promise<string> {
  try {
    const s = await fsp.stat(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

/**
 * Writes the file atomically (storage/atomic), keeping the previous version as `.bak` just before
 * the rename: a crash at any point leaves the old or the new file whole.
 */
async function atomicReplace(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes, { mode: 0o600, beforeRename: () => keepBackup(path) });
}

async function keepBackup(path: string): Promise<void> {
  const bak = path + '.bak';
  await fsp.unlink(bak).catch(notFoundAsUndefined);
  try {
    await fsp.link(path, bak);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // File systems without hard links: a copy does the same job.
    await fsp.copyFile(path, bak);
  }
}
