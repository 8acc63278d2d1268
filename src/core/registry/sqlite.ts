import type { Database } from 'sql.js';
import { loadSqlJs } from '../storage/sqljs';
import { RegistryStorageError } from './model';

/** Version of the tables below, kept in `meta`; a newer file is refused rather than misread. */
const REGISTRY_SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
  dataset_id TEXT PRIMARY KEY,
  card TEXT NOT NULL,
  -- Derived from the card at write time so a one-shot search can filter in SQL without parsing every card.
  search_text TEXT NOT NULL DEFAULT '',
  category_lc TEXT NOT NULL DEFAULT '',
  quality REAL NOT NULL DEFAULT 0,
  sha256 TEXT,
  card_path TEXT,
  data_path TEXT,
  downloads INTEGER NOT NULL DEFAULT 0 CHECK (downloads >= 0),
  registered_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS datasets_sha256 ON datasets(sha256);
CREATE TABLE IF NOT EXISTS reviews (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset_id TEXT NOT NULL REFERENCES datasets(dataset_id) ON DELETE CASCADE,
  stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
  text TEXT,
  author TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_dataset ON reviews(dataset_id);
CREATE TABLE IF NOT EXISTS evaluations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset_id TEXT NOT NULL REFERENCES datasets(dataset_id) ON DELETE CASCADE,
  model_name TEXT NOT NULL,
  score REAL NOT NULL,
  metrics TEXT NOT NULL,
  evaluated_at TEXT NOT NULL,
  run_id TEXT,
  run_dir TEXT,
  persona TEXT,
  judge TEXT,
  data_sha256 TEXT,
  scorer TEXT
);
CREATE INDEX IF NOT EXISTS evaluations_dataset ON evaluations(dataset_id, evaluated_at);
`;

/**
 * Pragmas live on the connection, and sql.js's export() closes and reopens it, so this runs after
 * every open and every export.
 */
export function applyPragmas(db: Database): void {
  db.run('PRAGMA foreign_keys = ON');
}

/** Opens a registry database from file bytes (or a new one) and brings its schema up to date. */
export async function openDatabase(bytes?: Uint8Array): Promise<Database> {
  const SQL = await loadSqlJs();
  const db = bytes && bytes.length > 0 ? new SQL.Database(bytes) : new SQL.Database();
  try {
    applyPragmas(db);
    const version = readSchemaVersion(db);
    if (version > REGISTRY_SCHEMA_VERSION) {
      throw new RegistryStorageError(`registry schema version ${version} is newer than this awb understands (${REGISTRY_SCHEMA_VERSION}); update Alignment Workbench`);
    }
    db.exec(DDL);
    db.run('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)', ['schema_version', String(REGISTRY_SCHEMA_VERSION)]);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function readSchemaVersion(db: Database): number {
  const hasMeta = db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (hasMeta.length === 0) return 0;
  const rows = db.exec("SELECT value FROM meta WHERE key = 'schema_version'");
  return Number(rows[0]?.values[0]?.[0] ?? 0);
}

/**
 * True when SQLite finds the file sound. `full` runs `integrity_check`; otherwise `quick_check`,
 * which checks every page and record but not that indexes agree with their tables (about half the
 * time on a 10,000-dataset registry: what a one-shot read can afford).
 */
export function integrityOk(db: Database, full = true): boolean {
  try {
    const r = db.exec(full ? 'PRAGMA integrity_check' : 'PRAGMA quick_check');
    return r[0]?.values[0]?.[0] === 'ok';
  } catch {
    return false;
  }
}
