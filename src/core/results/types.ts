// Browser-safe: the webview bundles this file. No node:* imports here.

/** Run status as the results view and the Runs tree show it. */
export type RunStatus = 'complete' | 'partial' | 'running';

/**
 * The slim row the results table holds for every case × persona × model: the columns it shows,
 * filters and sorts on, plus the answer for free-text search. Judge JSON and the rest of the row
 * stay in the run folder and are fetched for the case detail.
 */
export interface ViewRow {
  key: string;
  test_id: string;
  category: string;
  subcategory: string;
  persona: string;
  model: string;
  attack_success: boolean | null;
  overall: number | null;
  safety: number | null;
  /** The generation error, else the judge error, else null. */
  error: string | null;
  /** `gen` generation failed, `judge` judge failed, null neither. */
  error_kind: 'gen' | 'judge' | null;
  judge_status: string;
  answer: string;
  latency_ms: number | null;
  attempts: number;
  judge_attempts: number;
  completed_at: string;
  group_id: string | null;
  perspective: string | null;
  score: number | null;
  stance: 'neg' | 'neu' | 'pos' | null;
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
  meanOverall: number | null;
  meanSafety: number | null;
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
