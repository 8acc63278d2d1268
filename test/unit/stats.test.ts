import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapMeanCI, cohenKappa, createRng, midranks, quantileSorted, spearman, wilcoxonSignedRank, stanceOf } from '../../src/core/grid';
import { binomialDraw, erfc, logGamma } from '../../src/core/grid/stats';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (±${tol})`);

test('Wilcoxon exact, no ties: d = [0.4, -0.2, 0.6, 0.8, 0, -0.1]', () => {
  // Zero dropped → n = 5. |d| ranks: 0.1→1, 0.2→2, 0.4→3, 0.6→4, 0.8→5. W+ = 3+4+5 = 12, W- = 3.
  // Of the 2^5 = 32 sign patterns, W+ ≤ 3 for {}, {1}, {2}, {3}, {1,2}: 5. By symmetry
  // P(W+ ≥ 12) = 5/32, so the two-sided p = 10/32 = 0.3125.
  const r = wilcoxonSignedRank([0.4, -0.2, 0.6, 0.8, 0, -0.1]);
  assert.equal(r.method, 'exact');
  assert.equal(r.n, 5);
  assert.equal(r.zeros, 1);
  assert.equal(r.statistic, 12);
  close(r.p, 0.3125, 1e-12);
});

test('Wilcoxon exact with ties: d = [1, 1, -1, 2, 2, 2]', () => {
  // |d| = 1,1,1,2,2,2 → midranks 2,2,2,5,5,5. W+ = 2+2+5+5+5 = 19 (total 21, W- = 2).
  // W- ≤ 2 happens for {} and each single rank-2 item: 4 of 64 patterns → p = 2 × 4/64 = 0.125.
  const r = wilcoxonSignedRank([1, 1, -1, 2, 2, 2]);
  assert.equal(r.statistic, 19);
  close(r.p, 0.125, 1e-12);
  // All positive, n = 4: only 1 pattern of 16 is that extreme on each side → p = 2/16.
  close(wilcoxonSignedRank([1.4, 0.5, 0.01, 0.02]).p, 0.125, 1e-12);
  // Perfectly symmetric differences: W+ = W- → p = 1.
  assert.equal(wilcoxonSignedRank([0.5, -0.5, 0.2, -0.2]).p, 1);
  assert.equal(wilcoxonSignedRank([0, 0]).method, 'none');
  assert.ok(Number.isNaN(wilcoxonSignedRank([]).p));
});

test('Wilcoxon normal approximation (n > 50), without and with ties', () => {
  // d = -1..-20, +21..+60: ranks are |d|. W+ = Σ21..60 = 1830 − 210 = 1620. μ = 60·61/4 = 915.
  // σ² = 60·61·121/24 = 18452.5, σ = 135.83998. z = (1620 − 915 − 0.5)/σ = 5.186249.
  // p = erfc(z/√2) = 2.1457e-7 (scipy.stats.wilcoxon(correction=True, method='approx') agrees).
  const d1 = Array.from({ length: 60 }, (_, i) => (i < 20 ? -(i + 1) : i + 1));
  const r1 = wilcoxonSignedRank(d1);
  assert.equal(r1.method, 'normal');
  assert.equal(r1.statistic, 1620);
  close(r1.p, 2.1457151868636098e-7, 2.1457e-7 * 1e-4);
  // 30 × +1, 20 × −1, 10 × +2: ones take ranks 1..50 (midrank 25.5), twos 51..60 (midrank 55.5).
  // W+ = 30·25.5 + 10·55.5 = 1320. Tie correction Σ(t³−t)/48 = (124950 + 990)/48 = 2623.75,
  // σ² = 18452.5 − 2623.75 = 15828.75, σ = 125.81236, z = 404.5/σ = 3.215105, p = 0.00130397.
  const d2 = [...Array(30).fill(1), ...Array(20).fill(-1), ...Array(10).fill(2)];
  const r2 = wilcoxonSignedRank(d2);
  assert.equal(r2.statistic, 1320);
  close(r2.p, 0.001303966306380713, 1e-8);
});

test('erfc and log-gamma against known values', () => {
  close(erfc(0), 1, 1e-7);
  close(erfc(1.959963984540054 / Math.SQRT2), 0.05, 0.05 * 2e-7); // the 95% two-sided z
  close(erfc(-1), 2 - 0.157299207050285, 1e-7);
  close(logGamma(1), 0, 1e-12);
  close(logGamma(5), Math.log(24), 1e-12);
  close(logGamma(100001), 1051299.221899121, 1e-6); // ln(100000!)
});

test('Spearman: x = 1..5, y = [5, 6, 7, 8, 7]', () => {
  // Ranks of y: 5→1, 6→2, the two 7s→3.5, 8→5. Deviations from 3: x [-2,-1,0,1,2],
  // y [-2,-1,0.5,2,0.5]. Σxy = 4+1+0+2+1 = 8, Σx² = 10, Σy² = 9.5 → ρ = 8/√95 = 0.8207827.
  close(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 8 / Math.sqrt(95), 1e-12);
  close(spearman([1, 2, 3], [30, 20, 10]), -1, 1e-12);
  assert.ok(Number.isNaN(spearman([1, 2, 3], [4, 4, 4])), 'constant side');
  assert.deepEqual([...midranks([10, 20, 20, 5])], [2, 3.5, 3.5, 1]);
});

test("Cohen's kappa over neg/neu/pos", () => {
  // 10 items, 7 agreements → po = 0.7. Rater A: pos 4, neg 3, neu 3; rater B: pos 5, neg 2, neu 3.
  // pe = .4·.5 + .3·.2 + .3·.3 = 0.35 → κ = (0.7 − 0.35)/(1 − 0.35) = 0.5384615.
  const a = ['pos', 'pos', 'neg', 'neu', 'neu', 'pos', 'neg', 'neu', 'pos', 'neg'];
  const b = ['pos', 'neu', 'neg', 'neu', 'pos', 'pos', 'neg', 'neu', 'pos', 'pos'];
  close(cohenKappa(a, b)!, 0.35 / 0.65, 1e-12);
  assert.equal(cohenKappa(['pos', 'neg'], ['pos', 'neg']), 1);
  assert.equal(cohenKappa(['neu', 'neu'], ['neu', 'neu']), null, 'one class only: undefined');
  assert.equal(cohenKappa([], []), null, 'no items: undefined');
});

test('quantiles use type 7 (linear between order statistics)', () => {
  // h = (4−1)·0.25 = 0.75 → 1 + 0.75·(2−1) = 1.75.
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileSorted([7], 0.975), 7);
});

test('stance bins at the thresholds: -0.33 and +0.33 are neu, just beyond is neg / pos', () => {
  assert.equal(stanceOf(-0.33), 'neu');
  assert.equal(stanceOf(-0.3300001), 'neg');
  assert.equal(stanceOf(0.33), 'neu');
  assert.equal(stanceOf(0.3300001), 'pos');
  assert.equal(stanceOf(-1), 'neg');
  assert.equal(stanceOf(1), 'pos');
  assert.equal(stanceOf(0), 'neu');
  assert.equal(stanceOf(NaN), null);
  assert.equal(stanceOf(0.2, { neg_below: -0.1, pos_above: 0.1 }), 'pos');
  assert.equal(stanceOf(-0.1, { neg_below: -0.1, pos_above: 0.1 }), 'neu');
});

test('exact binomial draws have the right mean and variance (both algorithms)', () => {
  const rng = createRng('binomial');
  for (const [n, p] of [[1000, 0.3], [50, 0.1], [100000, 0.5], [200, 0.97]] as [number, number][]) {
    const R = 20000;
    let s = 0, s2 = 0;
    for (let i = 0; i < R; i++) { const x = binomialDraw(n, p, rng); assert.ok(x >= 0 && x <= n); s += x; s2 += x * x; }
    const m = s / R, v = s2 / R - m * m;
    const sd = Math.sqrt(n * p * (1 - p));
    close(m, n * p, 5 * sd / Math.sqrt(R), `mean n=${n} p=${p}`);
    close(v, n * p * (1 - p), 0.06 * n * p * (1 - p), `variance n=${n} p=${p}`);
  }
});

test('bootstrap CI of a mean: matches the normal-theory width on discrete data', () => {
  // 500 × +0.5, 300 × 0, 200 × −0.5: mean 0.15; population variance 0.175 − 0.0225 = 0.1525,
  // SE = √(0.1525/1000) = 0.0123491, so the 95% interval is about 0.15 ± 0.0242 = [0.1258, 0.1742].
  const d = [...Array(500).fill(0.5), ...Array(300).fill(0), ...Array(200).fill(-0.5)];
  const ci = bootstrapMeanCI(d, { seed: 3 });
  close(ci.low, 0.1258, 0.0015, 'low');
  close(ci.high, 0.1742, 0.0015, 'high');
});

test('bootstrap CI: continuous data (direct resampling path) matches the normal-theory width too', () => {
  const rng = createRng('cont');
  const d = Array.from({ length: 400 }, () => rng.float() * 2 - 0.8); // uniform on [-0.8, 1.2): mean 0.2, var 1/3
  const m = d.reduce((a, b) => a + b, 0) / d.length;
  const v = d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length;
  const half = 1.959964 * Math.sqrt(v / d.length);
  const ci = bootstrapMeanCI(d, { seed: 4 });
  close(ci.low, m - half, 0.006, 'low');
  close(ci.high, m + half, 0.006, 'high');
});

test('bootstrap CI: the multinomial shortcut and direct resampling agree on the same data', () => {
  // Same distribution of resample means by construction; the two intervals differ only by Monte
  // Carlo error (≈ 0.001 here, against a half-width of ≈ 0.024).
  const d = [...Array(500).fill(0.5), ...Array(300).fill(0), ...Array(200).fill(-0.5)];
  const m = bootstrapMeanCI(d, { seed: 5, method: 'multinomial' });
  const x = bootstrapMeanCI(d, { seed: 5, method: 'direct' });
  close(m.low, x.low, 0.0015, 'low');
  close(m.high, x.high, 0.0015, 'high');
});

test('bootstrap CI: seeded, order-independent, degenerate cases', () => {
  const d = [0.2, 0.4, -0.1, 0.3, 0.3, 0.0, 0.5, 0.1];
  assert.deepEqual(bootstrapMeanCI(d, { seed: 9 }), bootstrapMeanCI([...d].reverse(), { seed: 9 }));
  assert.notDeepEqual(bootstrapMeanCI(d, { seed: 9 }), bootstrapMeanCI(d, { seed: 10 }));
  assert.deepEqual(bootstrapMeanCI([0.25, 0.25, 0.25], {}), { low: 0.25, high: 0.25 });
  const one = bootstrapMeanCI([0.7]);
  assert.deepEqual(one, { low: 0.7, high: 0.7 });
  const none = bootstrapMeanCI([]);
  assert.ok(Number.isNaN(none.low) && Number.isNaN(none.high));
  // Every resample mean lies between the smallest and largest value.
  const ci = bootstrapMeanCI(d);
  assert.ok(ci.low >= -0.1 && ci.high <= 0.5 && ci.low < ci.high);
});

test('seeded generator: same seed same stream; number and string seeds differ', () => {
  const a = createRng(5), b = createRng(5), c = createRng('5');
  const xs = Array.from({ length: 5 }, () => a.u32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.u32()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.u32()));
  const r = createRng(1);
  for (let i = 0; i < 1000; i++) { const f = r.float(); assert.ok(f >= 0 && f < 1); }
});
