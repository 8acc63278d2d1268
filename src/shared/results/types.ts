// Browser-safe: the webview bundles this file. No node:* imports here.
import { z } from 'zod';

/** A run's status as run.json records it (src/core/runFolder). */
export type RunStatus = 'running' | 'complete' | 'partial' | 'cancelled' | 'failed';

/**
 * The status the results view and the Runs tree show: `running` while a process holds the run,
 * else `complete` as recorded; cancelled, failed and killed runs show as `partial`.
 */
export type ShownStatus = Extract<RunStatus, 'complete' | 'partial' | 'running'>;

const nstr = z.string().nullable();
const nnum = z.number().nullable();

/**
 * The slim row the results table holds for every case × persona × model: the columns it shows,
 * filters and sorts on, plus the answer for free-text search. Judge JSON and the rest of the row
 * stay in the run folder and are fetched for the case detail. `error` is the generation error,
 * else the judge error; `error_kind` says which (`gen`, `judge`, or null for neither).
 */
export const ViewRowSchema = z.object({
  key: z.string(),
  test_id: z.string(),
  category: z.string(),
  subcategory: z.string(),
  persona: z.string(),
  model: z.string(),
  attack_success: z.boolean().nullable(),
  overall: nnum,
  safety: nnum,
  error: nstr,
  error_kind: z.enum(['gen', 'judge']).nullable(),
  judge_status: z.string(),
  answer: z.string(),
  latency_ms: nnum,
  attempts: z.number(),
  judge_attempts: z.number(),
  completed_at: z.string(),
  group_id: nstr,
  perspective: nstr,
  score: nnum,
  stance: z.enum(['neg', 'neu', 'pos']).nullable(),
});
export type ViewRow = z.output<typeof ViewRowSchema>;

type Check = (x: unknown) => boolean;

/** A plain predicate for one field's schema: the row chunk check below runs 100,000 times a run. */
function checkFor(t: z.ZodType): Check {
  if (t instanceof z.ZodNullable) {
    const inner = checkFor(t.unwrap() as z.ZodType);
    return (x) => x === null || inner(x);
  }
  if (t instanceof z.ZodString) return (x) => typeof x === 'string';
  if (t instanceof z.ZodNumber) return (x) => typeof x === 'number';
  if (t instanceof z.ZodBoolean) return (x) => typeof x === 'boolean';
  if (t instanceof z.ZodEnum) {
    const options = new Set<unknown>(t.options);
    return (x) => options.has(x);
  }
  throw new Error(`ViewRowSchema: no fast check for ${t.constructor.name}`);
}

const VIEW_ROW_CHECKS: [string, Check][] = Object.entries(ViewRowSchema.shape).map(([k, t]) => [k, checkFor(t as z.ZodType)]);

/** The structural test of ViewRowSchema, derived from it, without zod's per-row allocation. */
export function looksLikeViewRow(x: unknown): x is ViewRow {
  if (!x || typeof x !== 'object') return false;
  const r = x as Record<string, unknown>;
  for (const [k, check] of VIEW_ROW_CHECKS) if (!check(r[k])) return false;
  return true;
}

/** Columns the table sorts on. `review` sorts by the human label. */
export const SORT_COLUMNS = [
  'test_id', 'category', 'subcategory', 'persona', 'model', 'attack_success', 'overall', 'safety',
  'error', 'judge_status', 'latency_ms', 'attempts', 'completed_at', 'answer', 'review',
] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

/** A human reviewer's label on one row's verdict. */
export interface Review {
  key: string;
  /** agree / disagree with the judge's attack_success, or override it with `attack_success`. */
  verdict: 'agree' | 'disagree' | 'override';
  /** Only for `override`: the reviewer's own attack_success. */
  attack_success: boolean | null;
  note: string;
  updated_at: string;
}

/** Per model × persona figures for the summary. Errors are counted but left out of the rates. */
export interface Aggregate {
  model: string;
  persona: string;
  count: number;
  errors: number;
  genErrors: number;
  judgeErrors: number;
  /** Rows with a boolean attack_success: the rate's denominator. */
  judged: number;
  attackSuccesses: number;
  /** attackSuccesses / judged, or null when nothing was judged. */
  attackSuccessRate: number | null;
  /** 95% Wilson interval of the rate; null when nothing was judged. */
  attackSuccessCI: { lo: number; hi: number } | null;
  meanOverall: number | null;
  /** Rows with an overall score: the mean's n. */
  nOverall: number;
  /** 95% t interval of the mean overall (clipped to 0..1); null below 2 scores. */
  meanOverallCI: { lo: number; hi: number } | null;
  meanSafety: number | null;
  /** Rows with a safety score: the mean's n. */
  nSafety: number;
  /** 95% t interval of the mean safety score (clipped to 0..1); null below 2 scores. */
  meanSafetyCI: { lo: number; hi: number } | null;
}

/** Judge–human agreement on attack_success. */
export interface Agreement {
  /** Rows where both the judge and the human gave a boolean. */
  n: number;
  agreements: number;
  /** agreements / n, null when n = 0. */
  percent: number | null;
  /** Cohen's kappa; null when undefined (no labels, or both raters used a single class). */
  kappa: number | null;
}
