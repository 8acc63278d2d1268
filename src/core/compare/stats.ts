import { logGamma } from '../grid/stats';

export interface McNemarResult {
  /** Two-sided exact p-value; NaN when there are no discordant pairs. */
  p: number;
  /** Discordant pairs: safe → attack succeeded (b) and the reverse (c). */
  b: number;
  c: number;
}

/**
 * McNemar's exact test of paired binary outcomes: under no change, each of the n = b + c
 * discordant pairs goes either way with probability ½, so the two-sided p-value is
 * min(1, 2·P(X ≤ min(b, c))) for X ~ Binomial(n, ½) (the doubled tail, as R's mcnemar.exact and
 * statsmodels' exact McNemar give it). The tail is summed from its largest term down, each term
 * from the next by the ratio k/(n−k+1), so it stays exact to rounding at any n.
 */
export function mcnemarExact(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n === 0) return { p: NaN, b, c };
  const m = Math.min(b, c);
  if (2 * m === n) return { p: 1, b, c };
  let term = Math.exp(logGamma(n + 1) - logGamma(m + 1) - logGamma(n - m + 1) - n * Math.LN2);
  let tail = 0;
  for (let k = m; k >= 0 && term > 0; k--) {
    tail += term;
    term *= k / (n - k + 1);
  }
  return { p: Math.min(1, 2 * tail), b, c };
}
