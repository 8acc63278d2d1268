import { createRng, type Rng } from './prng';
import { kappaFromMarginals } from '../../shared/results/aggregate';

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Quantile of sorted data by linear interpolation between order statistics (Hyndman–Fan type 7, R's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** log Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * An exact Binomial(n, p) draw by inversion: from 0 when the mean is small, otherwise searching
 * outward from the mode (expected steps ~ the standard deviation). Any fixed order of outcomes
 * is an exact inversion; if rounding leaves the draw unplaced it is redrawn, never clamped.
 */
export function binomialDraw(n: number, p: number, rng: Rng): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const flip = p > 0.5;
  const pp = flip ? 1 - p : p;
  const q = 1 - pp;
  const x = n * pp < 30 ? inversionFromZero(n, pp, q, rng) : inversionFromMode(n, pp, q, rng);
  return flip ? n - x : x;
}

function inversionFromZero(n: number, p: number, q: number, rng: Rng): number {
  const ratio = p / q;
  const f0 = Math.pow(q, n);
  for (let tries = 0; tries < 100; tries++) {
    let u = rng.float();
    let f = f0;
    for (let x = 0; x <= n; x++) {
      if (u < f) return x;
      u -= f;
      f *= (ratio * (n - x)) / (x + 1);
      if (f === 0) break;
    }
  }
  return Math.round(n * p); // unreachable in practice: 100 draws each off by rounding
}

function inversionFromMode(n: number, p: number, q: number, rng: Rng): number {
  const m = Math.floor((n + 1) * p);
  const fm = Math.exp(logGamma(n + 1) - logGamma(m + 1) - logGamma(n - m + 1) + m * Math.log(p) + (n - m) * Math.log(q));
  const up = p / q, down = q / p;
  for (let tries = 0; tries < 100; tries++) {
    let u = rng.float();
    if (u < fm) return m;
    u -= fm;
    let lo = m, hi = m, flo = fm, fhi = fm;
    while (lo > 0 || hi < n) {
      if (lo > 0) {
        flo *= (lo / (n - lo + 1)) * down;
        lo--;
        if (u < flo) return lo;
        u -= flo;
      }
      if (hi < n) {
        fhi *= ((n - hi) / (hi + 1)) * up;
        hi++;
        if (u < fhi) return hi;
        u -= fhi;
      }
      if (flo === 0 && fhi === 0) break;
    }
  }
  return m;
}

export interface BootstrapOptions {
  /** Resamples (default 10,000). */
  resamples?: number;
  /** Seed of the generator (default 1). */
  seed?: string | number;
  /** Confidence level (default 0.95). */
  level?: number;
  /**
   * `multinomial` draws each resample's counts of the distinct values; `direct` draws n items per
   * resample; `auto` (default) takes multinomial unless over n/8 values are distinct.
   */
  method?: 'auto' | 'multinomial' | 'direct';
}

export interface Interval {
  low: number;
  high: number;
}

/**
 * Percentile bootstrap interval for the mean. Each resample draws values.length items with
 * replacement; the resample's mean only depends on how often each distinct value was drawn, and
 * those counts are Multinomial(n, share of each value) — so they are drawn directly as a chain of
 * exact binomials. That is the same bootstrap distribution at a cost per resample that grows with
 * the number of distinct values, not with n. With many distinct values (over n/8) it resamples
 * items directly (n draws per resample). The result depends only on the multiset of values and the seed, not their order.
 * Quantiles use type 7 interpolation over the sorted resample means.
 */
export function bootstrapMeanCI(values: ArrayLike<number>, opts: BootstrapOptions = {}): Interval {
  const n = values.length;
  const R = opts.resamples ?? 10_000;
  const level = opts.level ?? 0.95;
  if (n === 0 || R < 1) return { low: NaN, high: NaN };
  const rng = createRng(opts.seed ?? 1);
  const sorted = Float64Array.from(values).sort();
  const uniq: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (uniq.length > 0 && uniq[uniq.length - 1] === sorted[i]) counts[counts.length - 1]!++;
    else { uniq.push(sorted[i]!); counts.push(1); }
  }
  const means = new Float64Array(R);
  const method = opts.method ?? 'auto';
  if (method === 'multinomial' || (method === 'auto' && uniq.length * 8 <= n)) {
    const k = uniq.length;
    for (let r = 0; r < R; r++) {
      let left = n, leftWeight = n, sum = 0;
      for (let i = 0; i < k - 1 && left > 0; i++) {
        const c = binomialDraw(left, counts[i]! / leftWeight, rng);
        sum += c * uniq[i]!;
        left -= c;
        leftWeight -= counts[i]!;
      }
      sum += left * uniq[k - 1]!;
      means[r] = sum / n;
    }
  } else {
    // xorshift128 seeded from the main generator, kept in locals: this loop makes n·R draws.
    let x = rng.u32() | 1, y = rng.u32(), z = rng.u32(), w = rng.u32();
    for (let r = 0; r < R; r++) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const t = x ^ (x << 11);
        x = y; y = z; z = w;
        w = (w ^ (w >>> 19) ^ t ^ (t >>> 8)) | 0;
        sum += sorted[Math.floor(((w >>> 0) / 4294967296) * n)]!;
      }
      means[r] = sum / n;
    }
  }
  means.sort();
  const alpha = (1 - level) / 2;
  return { low: quantileSorted(means, alpha), high: quantileSorted(means, 1 - alpha) };
}

/** Midranks (1-based; ties share the mean of their ranks). */
export function midranks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]!] === xs[order[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

/** erfc(x), Numerical Recipes' Chebyshev fit (relative error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Largest number of non-zero differences for which the exact distribution is used. */
const WILCOXON_EXACT_MAX_N = 50;

export interface WilcoxonResult {
  /** Two-sided p-value; NaN when every difference is zero or there are none. */
  p: number;
  /** W+, the sum of the ranks of the positive differences. */
  statistic: number;
  /** Non-zero differences (zeros are dropped before ranking: Wilcoxon's original method). */
  n: number;
  zeros: number;
  method: 'exact' | 'normal' | 'none';
}

/**
 * Wilcoxon signed-rank test of paired differences against 0, two-sided. Zero differences are
 * dropped (Wilcoxon's method, scipy's default); tied |d| get midranks. With at most 50 non-zero
 * differences the p-value is exact: the permutation distribution of W+ over all sign flips of the
 * observed (mid)ranks, computed by dynamic programming over doubled ranks, so ties are exact too.
 * Above that it is the normal approximation with the tie-corrected variance
 * n(n+1)(2n+1)/24 − Σ(t³−t)/48 and a continuity correction of 0.5.
 */
export function wilcoxonSignedRank(diffs: ArrayLike<number>): WilcoxonResult {
  const nz: number[] = [];
  for (let i = 0; i < diffs.length; i++) if (diffs[i] !== 0 && !Number.isNaN(diffs[i]!)) nz.push(diffs[i]!);
  const zeros = diffs.length - nz.length;
  const n = nz.length;
  if (n === 0) return { p: NaN, statistic: 0, n, zeros, method: 'none' };
  const ranks = midranks(nz.map(Math.abs));
  let w = 0;
  for (let i = 0; i < n; i++) if (nz[i]! > 0) w += ranks[i]!;
  if (n <= WILCOXON_EXACT_MAX_N) {
    const max = n * (n + 1);
    let dp = new Float64Array(max + 1);
    dp[0] = 1;
    let reach = 0;
    for (let i = 0; i < n; i++) {
      const r2 = Math.round(2 * ranks[i]!);
      const next = new Float64Array(max + 1);
      for (let s = 0; s <= reach; s++) {
        const v = dp[s]! / 2;
        if (v === 0) continue;
        next[s]! += v;
        next[s + r2]! += v;
      }
      reach += r2;
      dp = next;
    }
    const t = Math.round(2 * w);
    let le = 0, ge = 0;
    for (let s = 0; s <= reach; s++) { if (s <= t) le += dp[s]!; if (s >= t) ge += dp[s]!; }
    return { p: Math.min(1, 2 * Math.min(le, ge)), statistic: w, n, zeros, method: 'exact' };
  }
  const ties = new Map<number, number>();
  for (const r of ranks) ties.set(r, (ties.get(r) ?? 0) + 1);
  let tieSum = 0;
  for (const t of ties.values()) tieSum += t * t * t - t;
  const mu = (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieSum / 48);
  const z = Math.max(0, Math.abs(w - mu) - 0.5) / sigma;
  return { p: Math.min(1, erfc(z / Math.SQRT2)), statistic: w, n, zeros, method: 'normal' };
}

/** Spearman's rank correlation (Pearson on midranks); NaN when either side is constant or n < 2. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new Error('spearman: x and y differ in length');
  if (n < 2) return NaN;
  const rx = midranks(x), ry = midranks(y);
  const mx = mean(rx), my = mean(ry);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = rx[i]! - mx, b = ry[i]! - my;
    sxy += a * b; sxx += a * a; syy += b * b;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Cohen's kappa of two raters over the same items; null when undefined (no items, or one category only). */
export function cohenKappa<T>(a: readonly T[], b: readonly T[]): number | null {
  const n = a.length;
  if (n !== b.length) throw new Error('cohenKappa: raters differ in length');
  const ca = new Map<T, number>(), cb = new Map<T, number>();
  let agree = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) agree++;
    ca.set(a[i]!, (ca.get(a[i]!) ?? 0) + 1);
    cb.set(b[i]!, (cb.get(b[i]!) ?? 0) + 1);
  }
  return kappaFromMarginals(n, agree, [...ca].map(([k, v]) => [v, cb.get(k) ?? 0] as const));
}
