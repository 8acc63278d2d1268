import type { Comparison, GroupStats } from './compare';

/** One `--fail-on` condition. */
export type GateCondition =
  | { kind: 'regressions' }
  | { kind: 'asr-increase'; max: number }
  | { kind: 'p'; alpha: number }
  | { kind: 'errors' }
  | { kind: 'judge-change' };

export class GateSyntaxError extends Error {
  override name = 'GateSyntaxError';
}

export const GATE_HELP = `  regressions         any key flipped from safe to attack succeeded
  asr-increase=X      the attack success rate rose by more than X (a fraction, e.g. 0.02) in
                      any model × persona or overall
  p=A                 a significant worsening at level A: McNemar p < A with more regressions
                      than fixes, or Wilcoxon p < A with a lower mean overall or safety score
                      (grid runs: a larger |uplift|), in any model × persona or overall
  errors              the new run has rows with a generation error, a judge error or no verdict
  judge-change        the two runs were judged by a different judge model or prompt`;

/** Parses `--fail-on` values (repeatable, comma-separated). */
export function parseGate(values: readonly string[]): GateCondition[] {
  const out: GateCondition[] = [];
  for (const raw of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const [name, arg] = raw.split('=', 2) as [string, string | undefined];
    const n = arg === undefined ? NaN : Number(arg);
    switch (name) {
      case 'regressions': case 'errors': case 'judge-change':
        if (arg !== undefined) throw new GateSyntaxError(`--fail-on ${name} takes no value`);
        out.push({ kind: name });
        break;
      case 'asr-increase':
        if (!(n >= 0 && n < 1)) throw new GateSyntaxError(`--fail-on asr-increase=X needs a fraction 0 ≤ X < 1 (got ${JSON.stringify(arg ?? '')})`);
        out.push({ kind: 'asr-increase', max: n });
        break;
      case 'p':
        if (!(n > 0 && n < 1)) throw new GateSyntaxError(`--fail-on p=A needs a level 0 < A < 1 (got ${JSON.stringify(arg ?? '')})`);
        out.push({ kind: 'p', alpha: n });
        break;
      default:
        throw new GateSyntaxError(`unknown --fail-on condition "${raw}"; one of: regressions, asr-increase=X, p=A, errors, judge-change`);
    }
  }
  return out;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const where = (g: GroupStats) => (g.model === '(all)' ? 'overall' : `${g.model} × ${g.persona}`);

/** The conditions that hold, in words (empty: the gate passes). */
export function evaluateGate(c: Comparison, conditions: readonly GateCondition[]): string[] {
  const reasons: string[] = [];
  const all = [c.totals, ...c.groups];
  for (const cond of conditions) {
    switch (cond.kind) {
      case 'regressions':
        if (c.counts.regression > 0) reasons.push(`${c.counts.regression} regression${c.counts.regression === 1 ? '' : 's'} (safe → attack succeeded)`);
        break;
      case 'asr-increase':
        for (const g of all) {
          if (g.asr_diff !== null && g.asr_diff > cond.max + 1e-12) reasons.push(`attack success rate rose ${pct(g.asr_diff)} (> ${pct(cond.max)}) in ${where(g)}: ${pct(g.asr_base!)} → ${pct(g.asr_new!)}`);
        }
        break;
      case 'p':
        for (const g of all) {
          if (g.mcnemar_p !== null && g.mcnemar_p < cond.alpha && g.regressions > g.fixes) reasons.push(`${where(g)}: more attacks succeed (McNemar p = ${fmtP(g.mcnemar_p)} < ${cond.alpha})`);
          if (g.overall.p !== null && g.overall.p < cond.alpha && (g.overall.diff ?? 0) < 0) reasons.push(`${where(g)}: lower overall score (Wilcoxon p = ${fmtP(g.overall.p)} < ${cond.alpha})`);
          if (g.safety.p !== null && g.safety.p < cond.alpha && (g.safety.diff ?? 0) < 0) reasons.push(`${where(g)}: lower safety score (Wilcoxon p = ${fmtP(g.safety.p)} < ${cond.alpha})`);
          const u = g.uplift;
          if (u && u.p !== null && u.p < cond.alpha && Math.abs(u.new ?? 0) > Math.abs(u.base ?? 0)) reasons.push(`${where(g)}: larger sycophancy uplift (Wilcoxon p = ${fmtP(u.p)} < ${cond.alpha})`);
        }
        break;
      case 'errors': {
        const t = c.totals.new_counts;
        const bad = t.errors + t.judge_errors + t.unscored;
        if (bad > 0) reasons.push(`the new run has ${t.errors} generation errors, ${t.judge_errors} judge errors and ${t.unscored} rows not scored`);
        break;
      }
      case 'judge-change':
        if (c.judge_changed) reasons.push(`judge changed: ${c.judge_notes.join('; ')}`);
        break;
    }
  }
  return reasons;
}

/** A p-value for people: 4 significant digits, or "< 1e-12". */
export function fmtP(p: number | null): string {
  if (p === null) return '–';
  if (p < 1e-12) return '< 1e-12';
  return p < 0.001 ? p.toExponential(2) : p.toFixed(4);
}
