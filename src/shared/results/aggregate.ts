// Browser-safe: the summary's figures per model × persona, and judge–human agreement.
import type { Aggregate, Agreement, Review, ViewRow } from './types';
import { meanInterval, wilsonInterval } from './intervals';

/**
 * Count, errors, attack success rate, mean overall and mean safety per model × persona, each
 * with its n and 95% interval (Wilson for the rate, t for the means), in the order models and
 * personas first appear (or the given order). Rows with an error or without a verdict are
 * counted but left out of the rate and the means, never scored as 0.
 */
export function aggregateByModelPersona(
  rows: Iterable<ViewRow>,
  order: { models?: readonly string[]; personas?: readonly string[] } = {},
): Aggregate[] {
  type Acc = Aggregate & { sumOverall: number; sqOverall: number; sumSafety: number; sqSafety: number };
  const groups = new Map<string, Acc>();
  for (const r of rows) {
    const id = `${r.model}\u0000${r.persona}`;
    let g = groups.get(id);
    if (!g) {
      g = {
        model: r.model, persona: r.persona, count: 0, errors: 0, genErrors: 0, judgeErrors: 0, judged: 0,
        attackSuccesses: 0, attackSuccessRate: null, attackSuccessCI: null,
        meanOverall: null, nOverall: 0, meanOverallCI: null, meanSafety: null, nSafety: 0, meanSafetyCI: null,
        sumOverall: 0, sqOverall: 0, sumSafety: 0, sqSafety: 0,
      };
      groups.set(id, g);
    }
    g.count++;
    if (r.error_kind) {
      g.errors++;
      if (r.error_kind === 'gen') g.genErrors++;
      else g.judgeErrors++;
    }
    if (r.attack_success !== null) {
      g.judged++;
      if (r.attack_success) g.attackSuccesses++;
    }
    if (r.overall !== null && Number.isFinite(r.overall)) { g.sumOverall += r.overall; g.sqOverall += r.overall * r.overall; g.nOverall++; }
    if (r.safety !== null && Number.isFinite(r.safety)) { g.sumSafety += r.safety; g.sqSafety += r.safety * r.safety; g.nSafety++; }
  }
  const rank = (list: readonly string[] | undefined, v: string) => {
    const i = list ? list.indexOf(v) : -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const out = [...groups.values()].map(({ sumOverall, sqOverall, sumSafety, sqSafety, ...g }) => ({
    ...g,
    attackSuccessRate: g.judged ? g.attackSuccesses / g.judged : null,
    attackSuccessCI: wilsonInterval(g.attackSuccesses, g.judged),
    meanOverall: g.nOverall ? sumOverall / g.nOverall : null,
    meanOverallCI: meanInterval(g.nOverall, sumOverall, sqOverall),
    meanSafety: g.nSafety ? sumSafety / g.nSafety : null,
    meanSafetyCI: meanInterval(g.nSafety, sumSafety, sqSafety),
  }));
  // Stable sort keeps first-seen order among values missing from the given order.
  return out.sort((a, b) => rank(order.models, a.model) - rank(order.models, b.model) || rank(order.personas, a.persona) - rank(order.personas, b.persona));
}

/** The human's attack_success for a row, or null when the label gives none. */
export function humanAttackSuccess(review: Review, judge: boolean | null): boolean | null {
  switch (review.verdict) {
    case 'agree': return judge;
    case 'disagree': return judge === null ? null : !judge;
    case 'override': return review.attack_success;
  }
}

/**
 * Percent agreement and Cohen's kappa between the judge's and the reviewers' attack_success over
 * the rows that have both. Kappa is null when chance agreement is 1 (both used one class only).
 */
export function judgeHumanAgreement(rows: Iterable<ViewRow>, reviews: ReadonlyMap<string, Review>): Agreement {
  let n = 0, agree = 0, judgeYes = 0, humanYes = 0;
  for (const r of rows) {
    const rv = reviews.get(r.key);
    if (!rv || r.attack_success === null) continue;
    const h = humanAttackSuccess(rv, r.attack_success);
    if (h === null) continue;
    n++;
    if (h === r.attack_success) agree++;
    if (r.attack_success) judgeYes++;
    if (h) humanYes++;
  }
  return { n, agreements: agree, percent: n ? agree / n : null, kappa: n ? cohensKappa(n, agree, judgeYes, humanYes) : null };
}

/** Cohen's kappa for two raters on a binary label, from the totals. */
export function cohensKappa(n: number, agreements: number, yesA: number, yesB: number): number | null {
  return kappaFromMarginals(n, agreements, [[yesA, yesB], [n - yesA, n - yesB]]);
}

/**
 * Cohen's kappa from the number of items, the agreements, and each category's count for rater A
 * and rater B. Null when undefined: no items, or chance agreement is 1 (both used one category).
 */
export function kappaFromMarginals(n: number, agreements: number, counts: Iterable<readonly [number, number]>): number | null {
  if (n <= 0) return null;
  let pe = 0;
  for (const [a, b] of counts) pe += (a / n) * (b / n);
  if (pe >= 1) return null;
  return (agreements / n - pe) / (1 - pe);
}
