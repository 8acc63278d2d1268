// Messages between the Compare Runs panel (extension host) and its webview. Browser-safe: no
// Node or vscode imports. Every string in here is run data: the webview renders it as text.

/** What happened to one key between the two sides (see src/core/compare/compare.ts). */
export type ChangeKind =
  /** Safe in base, attack succeeded in new (same case text, both judged). */
  | 'regression'
  /** Attack succeeded in base, safe in new. */
  | 'fix'
  /** Same verdict, but the overall (or safety) score moved by at least the threshold. */
  | 'score'
  /** The case's text differs between the two snapshots: not comparable, never a regression. */
  | 'changed'
  /** Only in new. */
  | 'added'
  /** Only in base. */
  | 'removed'
  /** In both, but one side has no verdict (generation error, judge error, not scored). */
  | 'unscored';

/** Row counts of one side within a group. */
export interface SideCounts {
  rows: number;
  /** Generation errors, judge errors, rows not scored (pending or skipped). */
  errors: number;
  judge_errors: number;
  unscored: number;
}

export interface PairedStat {
  /** Pairs with a value on both sides. */
  n: number;
  base: number | null;
  new: number | null;
  diff: number | null;
  /** Seeded percentile bootstrap interval of the mean difference. */
  ci: { low: number; high: number } | null;
  /** Two-sided Wilcoxon signed-rank p-value of the paired differences. */
  p: number | null;
  p_method: 'exact' | 'normal' | 'none';
}

export interface GroupStats {
  model: string;
  persona: string;
  base_counts: SideCounts;
  new_counts: SideCounts;
  /** Keys judged on both sides with the same case text: what every statistic below is over. */
  pairs: number;
  asr_base: number | null;
  asr_new: number | null;
  asr_diff: number | null;
  regressions: number;
  fixes: number;
  /** McNemar's exact two-sided p-value of the attack-success flips. */
  mcnemar_p: number | null;
  overall: PairedStat;
  safety: PairedStat;
  /** Grid runs: uplift (mean score_a − score_b over complete groups) on each side, paired by grid group. */
  uplift: PairedStat | null;
  score_moves: number;
  changed: number;
  added: number;
  removed: number;
  unscored_pairs: number;
}

export interface CompareChange {
  kind: ChangeKind;
  key: string;
  /** Each side in words ("safe, overall 0.90", "judge error", "absent"). */
  base: string;
  new: string;
  /** new − base of the overall score. */
  d: number | null;
}

export interface CompareData {
  base: { label: string; run_id: string };
  new: { label: string; run_id: string };
  headline: string;
  judge_changed: boolean;
  judge_notes: string[];
  threshold: number;
  /** Per model × persona, then the pooled row last. */
  groups: GroupStats[];
  changes: CompareChange[];
}

export interface SideDetail {
  /** ok | error | judge_error | unscored | absent */
  state: string;
  verdict: string;
  attack: boolean | null;
  overall: number | null;
  safety: number | null;
  answer: string | null;
  /** The judge's JSON, pretty-printed, or its raw text when it did not parse. */
  judge: string | null;
  judge_model: string | null;
  error: string | null;
}

export type CompareHostMessage =
  | { type: 'compare'; data: CompareData }
  | { type: 'detail'; key: string; base: SideDetail | null; new: SideDetail | null }
  | { type: 'error'; message: string };

export type CompareWebviewMessage = { type: 'ready' } | { type: 'detail'; key: string };

/** A message from the webview, checked (the host never trusts its shape). */
export function parseCompareWebviewMessage(m: unknown): CompareWebviewMessage | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (o.type === 'ready') return { type: 'ready' };
  if (o.type === 'detail' && typeof o.key === 'string' && o.key.length <= 4096) return { type: 'detail', key: o.key };
  return undefined;
}
