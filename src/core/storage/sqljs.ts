import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';

let sqlPromise: Promise<SqlJsStatic> | undefined;

/**
 * Where `sql-wasm.wasm` is: beside the bundle (dist/, copied by esbuild.mjs), else in
 * node_modules/sql.js/dist when running from source.
 */
function locateSqlWasm(): string {
  const candidates: string[] = [join(__dirname, 'sql-wasm.wasm'), join(__dirname, '..', 'sql-wasm.wasm')];
  try { candidates.push(require.resolve('sql.js/dist/sql-wasm.wasm')); } catch { /* bundled without node_modules */ }
  try { candidates.push(join(dirname(require.resolve('sql.js')), 'sql-wasm.wasm')); } catch { /* bundled without node_modules */ }
  candidates.push(join(__dirname, '..', '..', '..', 'dist', 'sql-wasm.wasm'));
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

/** Loads sql.js once per process (a failed load is retried on the next call). */
export function loadSqlJs(): Promise<SqlJsStatic> {
  sqlPromise ??= (async () => {
    // Reading the bytes ourselves avoids sql.js guessing paths (fetch vs fs) inside bundles.
    const wasmBinary = readFileSync(locateSqlWasm());
    return initSqlJs({ wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer });
  })().catch((err: unknown) => {
    sqlPromise = undefined;
    throw err;
  });
  return sqlPromise;
}

/** Runs a query and returns its rows as objects. */
export function all<T>(db: Database, sql: string, params: (string | number | null)[] = []): T[] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const out: T[] = [];
    while (stmt.step()) out.push(stmt.getAsObject() as T);
    return out;
  } finally {
    stmt.free();
  }
}

/**
 * Opens a small SQLite file into memory (empty when the file is missing) and runs `ddl` on it;
 * the caller closes it and writes changes back with writeFileAtomic(file, db.export()).
 */
export async function openSqlJsFile(file: string, ddl: string): Promise<Database> {
  const SQL = await loadSqlJs();
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const db = bytes?.length ? new SQL.Database(bytes) : new SQL.Database();
  try {
    db.exec(ddl);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every earlier call for the same file in this process has settled: one writer
 * at a time, and each re-reads the file first, so changes saved by another window are kept.
 */
export function serializedByFile<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const next = (queues.get(file) ?? Promise.resolve()).then(fn, fn);
  queues.set(file, next.catch(() => undefined));
  return next;
}
