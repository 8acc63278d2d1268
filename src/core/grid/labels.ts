import { join } from 'node:path';
import { RUN_FILES } from '../runFolder';
import { z } from 'zod';
import { all, openSqlJsFile, serializedByFile } from '../storage/sqljs';
import { writeFileAtomic } from '../storage/atomic';
import { DEFAULT_STANCE_THRESHOLDS, type StanceThresholds } from '../schemas/grid';
import { stanceOf, STANCES, type Stance } from './stance';
import { cohenKappa, spearman } from './stats';

/** Human stance labels live beside the run's other files (the results view's reviews are in reviews.sqlite). */
const MAX_LABEL_NOTE = 4000;

/** One reviewer's label of one answer: a stance bin, a -1..+1 score, or both. */
export interface StanceLabel {
  /** The row's key, `test_id|persona_slug|model_slug`. */
  key: string;
  /** Who labelled ('' when not given); one label per key and reviewer. */
  reviewer: string;
  stance: Stance | null;
  score: number | null;
  note: string;
  /** ISO time of the last change. */
  time: string;
}

/** What a caller may store; both stance and score absent (or null) removes the label. */
const LabelInputSchema = z.object({
  key: z.string().min(1),
  reviewer: z.string().max(200).default(''),
  stance: z.enum(STANCES as [Stance, ...Stance[]]).nullable().optional(),
  score: z.number().min(-1).max(1).nullable().optional(),
  note: z.string().max(MAX_LABEL_NOTE).default(''),
});
export type LabelInput = z.input<typeof LabelInputSchema>;

const DDL = `
CREATE TABLE IF NOT EXISTS labels (
  key TEXT NOT NULL,
  reviewer TEXT NOT NULL DEFAULT '',
  stance TEXT CHECK (stance IN ('neg', 'neu', 'pos')),
  score REAL CHECK (score BETWEEN -1 AND 1),
  note TEXT NOT NULL DEFAULT '',
  time TEXT NOT NULL,
  PRIMARY KEY (key, reviewer),
  CHECK (stance IS NOT NULL OR score IS NOT NULL)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1');
`;

/** Every label in a run folder, ordered by key then reviewer; none when there is no labels.sqlite. */
export async function readLabels(runDir: string): Promise<StanceLabel[]> {
  const file = join(runDir, RUN_FILES.labels);
  return serializedByFile(file, async () => {
    const db = await openSqlJsFile(file, DDL);
    try {
      return all<StanceLabel>(db, 'SELECT key, reviewer, stance, score, note, time FROM labels ORDER BY key, reviewer');
    } finally {
      db.close();
    }
  });
}

/**
 * Stores one label (replacing that reviewer's earlier label of the key) and returns it; with
 * neither stance nor score it removes the label and returns null. The file is replaced
 * atomically: a crash leaves the old labels or the new ones, never half.
 */
export async function writeLabel(runDir: string, input: LabelInput, now: () => Date = () => new Date()): Promise<StanceLabel | null> {
  const v = LabelInputSchema.parse(input);
  const file = join(runDir, RUN_FILES.labels);
  return serializedByFile(file, async () => {
    const db = await openSqlJsFile(file, DDL);
    try {
      let stored: StanceLabel | null = null;
      if (v.stance == null && v.score == null) {
        db.run('DELETE FROM labels WHERE key = ? AND reviewer = ?', [v.key, v.reviewer]);
      } else {
        stored = { key: v.key, reviewer: v.reviewer, stance: v.stance ?? null, score: v.score ?? null, note: v.note, time: now().toISOString() };
        db.run('INSERT OR REPLACE INTO labels(key, reviewer, stance, score, note, time) VALUES (?, ?, ?, ?, ?, ?)', [stored.key, stored.reviewer, stored.stance, stored.score, stored.note, stored.time]);
      }
      await writeFileAtomic(file, db.export());
      return stored;
    } finally {
      db.close();
    }
  });
}

export interface LabelAgreement {
  /** Labels compared on bins (the row has a score; the label a stance or a score). */
  bins: number;
  /** Share of those where the reviewer's bin equals the scorer's. */
  percent: number | null;
  /** Cohen's kappa on neg/neu/pos; null when undefined (one class only). */
  kappa: number | null;
  /** Labels compared on numbers (both have a score). */
  numbers: number;
  /** Spearman's rank correlation of the reviewer's and the scorer's scores; null below 2 or if constant. */
  spearman: number | null;
}

/**
 * Agreement between human labels and the master scorer, over labels whose row has a score. A
 * label's bin is its stance, else its score's bin under the same thresholds as the scorer's.
 */
export function labelAgreement(labels: readonly StanceLabel[], scores: ReadonlyMap<string, number | null | undefined>, thresholds: StanceThresholds = DEFAULT_STANCE_THRESHOLDS): LabelAgreement {
  const human: Stance[] = [], machine: Stance[] = [];
  const hx: number[] = [], mx: number[] = [];
  for (const l of labels) {
    const s = scores.get(l.key);
    if (typeof s !== 'number' || !Number.isFinite(s)) continue;
    const hb = l.stance ?? (l.score !== null ? stanceOf(l.score, thresholds) : null);
    const mb = stanceOf(s, thresholds);
    if (hb && mb) { human.push(hb); machine.push(mb); }
    if (l.score !== null) { hx.push(l.score); mx.push(s); }
  }
  const nz = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const agree = human.filter((h, i) => h === machine[i]).length;
  return {
    bins: human.length,
    percent: human.length ? agree / human.length : null,
    kappa: cohenKappa(human, machine),
    numbers: hx.length,
    spearman: nz(spearman(hx, mx)),
  };
}
