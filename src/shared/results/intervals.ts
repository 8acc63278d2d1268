// Browser-safe: 95% intervals for the summary's rates and means, so a figure over 15 rows never
// looks as certain as one over 15,000.

/** A closed interval [lo, hi]. */
export interface Interval {
  lo: number;
  hi: number;
}

/** The standard normal's 97.5th percentile: two-sided 95%. */
const Z_95 = 1.959963984540054;

/**
 * Wilson score interval for a binomial proportion (k successes of n), without continuity
 * correction (Newcombe 1998, method 3). Stays inside [0, 1] and is sensible at k = 0 and k = n,
 * where the Wald interval collapses to a point. Null when n = 0.
 */
export function wilsonInterval(k: number, n: number, z = Z_95): Interval | null {
  if (!(n > 0) || k < 0 || k > n) return null;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lo: k === 0 ? 0 : Math.max(0, centre - half), hi: k === n ? 1 : Math.min(1, centre + half) };
}

/** Student's t 97.5th percentiles for 1..30 degrees of freedom. */
const T_975 = [
  12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281,
  2.201, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.093, 2.086,
  2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
];

/**
 * Student's t 97.5th percentile for `df` degrees of freedom: a table up to 30, then the
 * Cornish–Fisher expansion around the normal quantile (error below 1e-4 from df = 30 on).
 */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return Number.NaN;
  const d = Math.floor(df);
  if (d <= 30) return T_975[d - 1]!;
  const z = Z_95;
  const z3 = z ** 3, z5 = z ** 5, z7 = z ** 7;
  return z + (z3 + z) / (4 * d) + (5 * z5 + 16 * z3 + 3 * z) / (96 * d * d) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * d ** 3);
}

/**
 * 95% t interval of a mean from its count, sum and sum of squares, clipped to [min, max] (the
 * scale's bounds: judge scores are 0..1). Null when n < 2: one value says nothing of its spread.
 */
export function meanInterval(n: number, sum: number, sumSq: number, bounds: Interval = { lo: 0, hi: 1 }): Interval | null {
  if (!(n >= 2)) return null;
  const mean = sum / n;
  const variance = Math.max(0, (sumSq - n * mean * mean) / (n - 1));
  const half = tQuantile975(n - 1) * Math.sqrt(variance / n);
  return { lo: Math.max(bounds.lo, mean - half), hi: Math.min(bounds.hi, mean + half) };
}
