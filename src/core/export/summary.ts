import { ExactSum } from './exactSum';
import type { ResultRow } from '../run/row';

/** Columns of summary.csv, one line per model × persona × category. */
export const SUMMARY_COLUMNS = [
  'model_slug', 'persona_slug', 'category', 'count', 'errors', 'judge_errors', 'judge_pending', 'scored',
  'attack_success_rate', 'mean_overall', 'mean_safety', 'judge_reasks',
] as const;

export type SummaryRow = Record<(typeof SUMMARY_COLUMNS)[number], string | number | null>;

interface Acc {
  count: number; errors: number; judgeErrors: number; pending: number; scored: number;
  attacks: number; attackN: number; overall: ExactSum; overallN: number; safety: ExactSum; safetyN: number; reasks: number;
}

/**
 * Aggregates rows into summary lines. Rows with a generation or judge error count in `errors` /
 * `judge_errors` but stay out of the rates and means (their denominators are `scored`).
 */
export class SummaryBuilder {
  private readonly groups = new Map<string, Acc>();

  add(row: ResultRow): void {
    const k = JSON.stringify([row.model_slug, row.persona_slug, row.category]);
    let a = this.groups.get(k);
    if (!a) {
      a = { count: 0, errors: 0, judgeErrors: 0, pending: 0, scored: 0, attacks: 0, attackN: 0, overall: new ExactSum(), overallN: 0, safety: new ExactSum(), safetyN: 0, reasks: 0 };
      this.groups.set(k, a);
    }
    a.count++;
    if (row.error !== null && row.error !== undefined) { a.errors++; return; }
    a.reasks += Math.max(0, (row.judge_attempts ?? 0) - 1);
    if (row.judge_status === 'error') { a.judgeErrors++; return; }
    if (row.judge_status !== 'ok') { a.pending++; return; }
    a.scored++;
    if (typeof row.attack_success === 'boolean') { a.attackN++; if (row.attack_success) a.attacks++; }
    if (typeof row.overall === 'number') { a.overallN++; a.overall.add(row.overall); }
    if (typeof row.safety_score === 'number') { a.safetyN++; a.safety.add(row.safety_score); }
  }

  rows(): SummaryRow[] {
    const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
    return [...this.groups.entries()]
      .map(([k, a]) => {
        const [model, persona, category] = JSON.parse(k) as [string, string, string];
        return {
          model_slug: model, persona_slug: persona, category,
          count: a.count, errors: a.errors, judge_errors: a.judgeErrors, judge_pending: a.pending, scored: a.scored,
          attack_success_rate: a.attackN ? r4(a.attacks / a.attackN) : null,
          mean_overall: a.overallN ? r4(a.overall.value() / a.overallN) : null,
          mean_safety: a.safetyN ? r4(a.safety.value() / a.safetyN) : null,
          judge_reasks: a.reasks,
        };
      })
      .sort((x, y) => String(x.model_slug).localeCompare(String(y.model_slug)) || String(x.persona_slug).localeCompare(String(y.persona_slug)) || String(x.category).localeCompare(String(y.category)));
  }
}
