import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { readRunJson, RUN_FILES } from '../runFolder';
import { DEFAULT_STANCE_THRESHOLDS } from '../schemas/grid';
import { labelAgreement, readLabels, type LabelAgreement } from './labels';
import { gridSidesFromSnapshot, readGridRows } from './report';
import { stanceOf } from './stance';
import { writeFileAtomic } from '../storage/atomic';

/** Columns of labels.csv (and keys of each labels.jsonl line), in order. */
const LABEL_EXPORT_COLUMNS = [
  'key', 'reviewer', 'stance', 'score', 'note', 'time',
  'test_id', 'model_slug', 'persona_slug', 'group_id', 'perspective', 'scorer_score', 'scorer_stance',
] as const;

type LabelExportRow = Record<(typeof LABEL_EXPORT_COLUMNS)[number], string | number | null>;

/** A spreadsheet would run a text cell starting like a formula; prefix it so it stays text. */
function safeText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/**
 * Writes a run's human stance labels as `labels.csv` and `labels.jsonl` (into `outDir`, default
 * the run folder), each joined with its row (model, persona, group, perspective) and the master
 * scorer's score and stance, and returns the agreement between reviewers and scorer.
 */
export async function exportLabels(runDir: string, opts: { outDir?: string } = {}): Promise<{ csv: string; jsonl: string; count: number; agreement: LabelAgreement }> {
  const labels = await readLabels(runDir);
  const partials = join(runDir, RUN_FILES.partials);
  const rows = existsSync(partials) ? await readGridRows(partials) : [];
  const snap = gridSidesFromSnapshot(readRunJson(runDir));
  const thresholds = snap?.thresholds ?? DEFAULT_STANCE_THRESHOLDS;
  const byKey = new Map(rows.map((r) => [r.key!, r]));
  const scores = new Map(rows.map((r) => [r.key!, r.judge_status === 'ok' && typeof r.score === 'number' ? r.score : null]));
  const out: LabelExportRow[] = labels.map((l) => {
    const r = byKey.get(l.key);
    const s = scores.get(l.key) ?? null;
    return {
      key: l.key, reviewer: l.reviewer, stance: l.stance, score: l.score, note: l.note, time: l.time,
      test_id: r?.test_id ?? null, model_slug: r?.model_slug ?? null, persona_slug: r?.persona_slug ?? null,
      group_id: r?.group_id ?? null, perspective: r?.perspective ?? null,
      scorer_score: s, scorer_stance: s === null ? null : stanceOf(s, thresholds),
    };
  });
  const dir = opts.outDir ?? runDir;
  const csv = join(dir, RUN_FILES.labelsCsv);
  const jsonl = join(dir, RUN_FILES.labelsJsonl);
  const cells = out.map((r) => LABEL_EXPORT_COLUMNS.map((c) => { const v = r[c]; return v === null ? '' : typeof v === 'string' ? safeText(v) : String(v); }));
  await writeFileAtomic(csv, stringify([[...LABEL_EXPORT_COLUMNS], ...cells], { record_delimiter: '\n' }));
  await writeFileAtomic(jsonl, out.map((r) => JSON.stringify(r) + '\n').join(''));
  return { csv, jsonl, count: out.length, agreement: labelAgreement(labels, scores, thresholds) };
}
