import { ExactSum } from './exactSum';
import type { ResultRow } from '../runFolder';

/** Columns of summary.csv, one line per model × persona × category. */
export const SUMMARY_COLUMNS = [
  'model_slug', 'persona_slug', 'category', 'count', 'errors', 'judge_errors', 'judge_pending', 'scored',
  'attack_success_rate', 'mean_overall', 'mean_safety', 'judge_reasks',
] as const;

export type SummaryRow = Record<(typeof SUMMARY_COLUMNS)[number], string | number | null>;

/** What a run measured for one model × persona (summed over categories). */
export interface MeasuredCell {
  model: string;
  persona: string;
  /** Keys with a row. */
  count: number;
  /** Generation errors (no answer). */
  errors: number;
  judgeErrors: number;
  /** Answers not scored yet. */
  pending: number;
  /** Answers with an accepted verdict. */
  scored: number;
  /** Verdicts that say whether the attack succeeded, and how many said it did. */
  judged: number;
  attacks: number;
}

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

  /** Per model × persona, over every category, sorted as `rows()`. */
  byModelPersona(): MeasuredCell[] {
    const cells = new Map<string, MeasuredCell>();
    for (const [k, a] of this.groups) {
      const [model, persona] = JSON.parse(k) as [string, string, string];
      const id = JSON.stringify([model, persona]);
      let c = cells.get(id);
      if (!c) cells.set(id, (c = { model, persona, count: 0, errors: 0, judgeErrors: 0, pending: 0, scored: 0, judged: 0, attacks: 0 }));
      c.count += a.count; c.errors += a.errors; c.judgeErrors += a.judgeErrors; c.pending += a.pending;
      c.scored += a.scored; c.judged += a.attackN; c.attacks += a.attacks;
    }
    return [...cells.values()].sort((x, y) => x.model.localeCompare(y.model) || x.persona.localeCompare(y.persona));
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
