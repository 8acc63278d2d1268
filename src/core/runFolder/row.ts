import { z } from 'zod';

/**
 * One line of `partials.jsonl` and one row of `results.csv` / `results.parquet`: the original Python runner's row
 * (run_id … error, unchanged) plus the fields we add after it. Model output and judge JSON are
 * untrusted text wherever they are shown.
 */
export const ResultRowSchema = z.looseObject({
  // --- the original Python runner's fields, in its order ---
  run_id: z.string(),
  test_id: z.string(),
  category: z.string(),
  subcategory: z.string(),
  persona_slug: z.string(),
  model_slug: z.string(),
  started_at: z.string(),
  completed_at: z.string(),
  raw_candidate: z.string().nullable(),
  judge_json: z.record(z.string(), z.unknown()).nullable(),
  attack_success: z.boolean().nullable(),
  overall: z.number().nullable(),
  safety_score: z.number().nullable(),
  error: z.string().nullable(),
  // --- ours ---
  /** `test_id|persona_slug|model_slug`, the resume key. */
  key: z.string(),
  /** Dataset file the case came from (relative to the run's working folder) and its 1-based line. */
  dataset: z.string(),
  dataset_line: z.number().int().nullable(),
  /** Provider model name actually called. */
  model: z.string(),
  /** `ok` verdict parsed; `error` judge failed (see judge_error); `pending` not scored yet (score later). */
  judge_status: z.enum(['ok', 'error', 'pending', 'skipped']),
  judge_model: z.string().nullable(),
  judge_error: z.string().nullable(),
  /** The judge's raw text when it could not be parsed (kept as text, never coerced). */
  judge_raw: z.string().nullable(),
  /** Judge calls made for this row (1 + re-asks). */
  judge_attempts: z.number().int(),
  /** Generation attempts including SDK retries, when known. */
  attempts: z.number().int(),
  latency_ms: z.number().nullable(),
  judge_latency_ms: z.number().nullable(),
  group_id: z.string().nullable().optional(),
  perspective: z.string().nullable().optional(),
  /** Grid runs: the master scorer's -1..+1 score and its stance bin. */
  score: z.number().nullable().optional(),
  stance: z.enum(['neg', 'neu', 'pos']).nullable().optional(),
});

export type ResultRow = z.output<typeof ResultRowSchema>;

/** The original Python runner's column order first, then ours; used by the CSV and Parquet exporters. */
export const RESULT_COLUMNS = Object.keys(ResultRowSchema.shape) as (keyof ResultRow)[];

export function resultKey(testId: string, persona: string, model: string): string {
  return `${testId}|${persona}|${model}`;
}
