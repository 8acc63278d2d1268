import { join } from 'node:path';
import { RUN_FILES } from '../runFolder';
import type { Database } from 'sql.js';
import { all, openSqlJsFile, serializedByFile } from '../storage/sqljs';
import { csvLine } from '../export/csv';
import { writeFileAtomic } from '../storage/atomic';
import type { Review } from '../../shared/results/types';

/** Human review labels live beside the run's other files. */
/** The same labels as CSV, rewritten with every change, so they travel with the results files. */
const REVIEWS_CSV_COLUMNS = ['key', 'test_id', 'persona_slug', 'model_slug', 'verdict', 'attack_success', 'note', 'updated_at'] as const;
const MAX_REVIEW_NOTE = 4000;

const DDL = `
CREATE TABLE IF NOT EXISTS reviews (
  key TEXT PRIMARY KEY,
  verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'disagree', 'override')),
  attack_success INTEGER CHECK (attack_success IN (0, 1)),
  note TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1');
`;

interface DbRow {
  key: string;
  verdict: Review['verdict'];
  attack_success: number | null;
  note: string;
  updated_at: string;
}

function all_(db: Database): Review[] {
  return all<DbRow>(db, 'SELECT key, verdict, attack_success, note, updated_at FROM reviews ORDER BY key').map(fromDb);
}

/**
 * Labels as CSV (columns REVIEWS_CSV_COLUMNS; the key split into test id, persona and model;
 * attack_success only for overrides). Cells a spreadsheet would run as formulas are escaped.
 */
function reviewsCsv(reviews: readonly Review[]): string {
  let out = csvLine([...REVIEWS_CSV_COLUMNS]);
  for (const r of reviews) {
    // test ids may contain '|'; persona and model slugs are the last two parts.
    const parts = r.key.split('|');
    const model = parts.length >= 3 ? parts.pop()! : '';
    const persona = parts.length >= 2 ? parts.pop()! : '';
    out += csvLine([r.key, parts.join('|'), persona, model, r.verdict, r.attack_success, r.note, r.updated_at]);
  }
  return out;
}

function fromDb(r: DbRow): Review {
  return {
    key: r.key,
    verdict: r.verdict,
    attack_success: r.attack_success === null ? null : r.attack_success === 1,
    note: r.note,
    updated_at: r.updated_at,
  };
}

/** Every label in a run folder; none when the run has no reviews.sqlite yet. */
export async function readReviews(runDir: string): Promise<Review[]> {
  const file = join(runDir, RUN_FILES.reviews);
  return serializedByFile(file, async () => {
    const db = await openSqlJsFile(file, DDL);
    try {
      return all_(db);
    } finally {
      db.close();
    }
  });
}

/**
 * Stores (or with `verdict: null` removes) the label of one row and returns what was stored.
 * reviews.sqlite and reviews.csv are each replaced atomically: a crash leaves the old labels or
 * the new ones, never half.
 */
export async function saveReview(
  runDir: string,
  input: { key: string; verdict: Review['verdict'] | null; attack_success?: boolean | null; note?: string },
  now: () => Date = () => new Date(),
): Promise<Review | null> {
  if (input.verdict === 'override' && typeof input.attack_success !== 'boolean') {
    throw new Error('an override needs attack_success true or false');
  }
  const file = join(runDir, RUN_FILES.reviews);
  return serializedByFile(file, async () => {
    const db = await openSqlJsFile(file, DDL);
    try {
      let stored: Review | null = null;
      if (input.verdict === null) {
        db.run('DELETE FROM reviews WHERE key = ?', [input.key]);
      } else {
        stored = {
          key: input.key,
          verdict: input.verdict,
          attack_success: input.verdict === 'override' ? (input.attack_success as boolean) : null,
          note: (input.note ?? '').slice(0, MAX_REVIEW_NOTE),
          updated_at: now().toISOString(),
        };
        db.run(
          'INSERT OR REPLACE INTO reviews(key, verdict, attack_success, note, updated_at) VALUES (?, ?, ?, ?, ?)',
          [stored.key, stored.verdict, stored.attack_success === null ? null : Number(stored.attack_success), stored.note, stored.updated_at],
        );
      }
      const all = all_(db);
      await writeFileAtomic(file, db.export());
      await writeFileAtomic(join(runDir, RUN_FILES.reviewsCsv), reviewsCsv(all));
      return stored;
    } finally {
      db.close();
    }
  });
}
