import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { RUN_FILES } from './names';
import type { Database, Statement } from 'sql.js';
import { fsyncDir, renameWithRetry, tempPathFor, writeFileSynced } from '../storage/atomic';
import { loadSqlJs } from '../storage/sqljs';

/** Keys per statement in `markDoneMany` (SQLite allows up to 32,766 parameters). */
const MARK_BATCH = 500;

// WITHOUT ROWID: the key is stored once (a rowid table keeps it twice, table and index),
// which halves the file every checkpoint exports.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS done(key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE IF NOT EXISTS answered(key TEXT PRIMARY KEY, row_start INTEGER NOT NULL, row_end INTEGER NOT NULL) WITHOUT ROWID;
`;

/**
 * The resume index `state.sqlite`: `done(key TEXT PRIMARY KEY)` as the original Python runner, plus `meta` with
 * how far into partials.jsonl it reaches, and `answered(key, row_start, row_end)`: keys of a run judged as
 * it goes whose answer is in partials.jsonl (a `judge_status: pending` row at those bytes) but
 * not judged yet — a resume judges them rather than asking the model again. It lives in memory (sql.js); marking a key done is an
 * insert there, and `checkpoint` persists it atomically, throttled by the caller. partials.jsonl
 * stays the truth: this index is rebuilt from it when missing, unreadable or behind.
 */
export class StateDb {
  private insert!: Statement;
  private select!: Statement;
  private insertAnswered!: Statement;
  private deleteAnswered!: Statement;
  private insertMany: Statement | undefined;
  private dirty = false;

  private constructor(private readonly db: Database, readonly file: string, readonly recovered: string | undefined) {
    this.prepare();
  }

  /** Opens `file` (falling back to `file.bak` if it fails the integrity check) or starts empty. */
  static async open(file: string): Promise<StateDb> {
    const SQL = await loadSqlJs();
    let note: string | undefined;
    for (const candidate of [file, `${file}.bak`]) {
      if (!existsSync(candidate)) continue;
      try {
        const db = new SQL.Database(readFileSync(candidate));
        const ok = db.exec('PRAGMA integrity_check')[0]?.values[0]?.[0];
        if (ok !== 'ok') throw new Error(`integrity_check: ${String(ok)}`);
        db.exec(SCHEMA);
        return new StateDb(db, file, candidate === file ? note : `${note ?? `${RUN_FILES.state} missing`}; using ${RUN_FILES.state}.bak`);
      } catch (err) {
        note = `${basename(candidate)} unreadable (${err instanceof Error ? err.message : String(err)})`;
      }
    }
    const db = new SQL.Database();
    db.exec(SCHEMA);
    return new StateDb(db, file, note);
  }

  /**
   * The in-memory DB is only an index persisted by export, so SQLite's journal and locking buy
   * nothing here; without them a mark costs ~4 µs instead of ~35 µs. Re-applied after every
   * export, which may reset pragmas.
   */
  /** The journal mode in effect (tests check it survives an export). */
  journalMode(): string {
    return String(this.db.exec('PRAGMA journal_mode')[0]?.values[0]?.[0]);
  }

  private prepare(): void {
    this.db.exec('PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;');
    this.insert = this.db.prepare('INSERT OR IGNORE INTO done(key) VALUES (?)');
    this.select = this.db.prepare('SELECT 1 FROM done WHERE key = ?');
    this.insertAnswered = this.db.prepare('INSERT OR REPLACE INTO answered(key, row_start, row_end) VALUES (?, ?, ?)');
    this.deleteAnswered = this.db.prepare('DELETE FROM answered WHERE key = ?');
    this.insertMany = undefined;
  }

  /** The key's answer is in partials.jsonl at `[start, end)`, waiting for its judge. */
  markAnswered(key: string, start: number, end: number): void {
    this.insertAnswered.run([key, start, end]);
    this.dirty = true;
  }

  /** The key's answer was judged (or the key is done): it no longer waits. */
  dropAnswered(key: string): void {
    this.deleteAnswered.run([key]);
    this.dirty = true;
  }

  /** Keys whose answer waits for its judge, with the byte range of that row in partials.jsonl. */
  answered(): Map<string, [number, number]> {
    const rows = this.db.exec('SELECT key, row_start, row_end FROM answered')[0]?.values ?? [];
    return new Map(rows.map((r) => [String(r[0]), [Number(r[1]), Number(r[2])] as [number, number]]));
  }

  markDone(key: string): void {
    this.insert.run([key]);
    this.dirty = true;
  }

  /**
   * Marks many keys done, in order: the same rows as `markDone` on each, in a few hundred keys
   * per statement (one call into SQLite each instead of one per key).
   */
  markDoneMany(keys: Iterable<string>): void {
    let batch: string[] = [];
    for (const k of keys) {
      batch.push(k);
      if (batch.length === MARK_BATCH) {
        this.insertMany ??= this.db.prepare(`INSERT OR IGNORE INTO done(key) VALUES ${Array.from({ length: MARK_BATCH }, () => '(?)').join(',')}`);
        this.insertMany.run(batch);
        batch = [];
      }
    }
    for (const k of batch) this.insert.run([k]);
    this.dirty = true;
  }

  has(key: string): boolean {
    this.select.bind([key]);
    const found = this.select.step();
    this.select.reset();
    return found;
  }

  count(): number {
    return Number(this.db.exec('SELECT count(*) FROM done')[0]?.values[0]?.[0] ?? 0);
  }

  keys(): string[] {
    return (this.db.exec('SELECT key FROM done')[0]?.values ?? []).map((r) => String(r[0]));
  }

  getMeta(k: string): string | undefined {
    const r = this.db.exec('SELECT v FROM meta WHERE k = ?', [k])[0]?.values[0]?.[0];
    return r === undefined || r === null ? undefined : String(r);
  }

  setMeta(k: string, v: string): void {
    this.db.run('INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)', [k, v]);
    this.dirty = true;
  }

  /** Empties the index (before a rebuild from partials.jsonl). */
  clear(): void {
    this.db.exec('DELETE FROM done; DELETE FROM meta; DELETE FROM answered;');
    this.dirty = true;
  }

  /** Where in partials.jsonl this index is complete up to. */
  get coverage(): { offset: number; line: number } {
    return { offset: Number(this.getMeta('partials_offset') ?? 0), line: Number(this.getMeta('partials_line') ?? 0) };
  }

  /**
   * Persists the index as covering partials.jsonl up to `coverage`: export (outside any
   * transaction), temp file, fsync, rename; the previous file is kept as `.bak`.
   * Returns the milliseconds spent, or 0 when nothing changed.
   */
  checkpoint(coverage: { offset: number; line: number }): number {
    if (!this.dirty && this.coverage.offset === coverage.offset) return 0;
    const t0 = performance.now();
    this.setMeta('partials_offset', String(coverage.offset));
    this.setMeta('partials_line', String(coverage.line));
    const bytes = this.db.export();
    // export() may close and reopen the database: pragmas and statements are set again.
    this.prepare();
    const tmp = tempPathFor(this.file);
    try {
      writeFileSynced(tmp, bytes);
      if (existsSync(this.file)) {
        try { renameSync(this.file, `${this.file}.bak`); } catch { /* the .bak is a convenience */ }
      }
      renameWithRetry(tmp, this.file);
      fsyncDir(dirname(this.file));
    } finally {
      rmSync(tmp, { force: true });
    }
    this.dirty = false;
    return performance.now() - t0;
  }

  close(): void {
    try { this.insert.free(); this.select.free(); this.insertAnswered.free(); this.deleteAnswered.free(); this.insertMany?.free(); } catch { /* already freed */ }
    this.db.close();
  }
}
