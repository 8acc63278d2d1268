import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanInterval, tQuantile975, wilsonInterval } from '../../src/shared/results/intervals';
import { aggregateByModelPersona } from '../../src/shared/results/aggregate';
import type { ViewRow } from '../../src/shared/results/types';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (±${tol})`);

test('Wilson intervals match the published values (Newcombe 1998, Table I, method 3)', () => {
  for (const [k, n, lo, hi] of [[81, 263, 0.2553, 0.3662], [15, 148, 0.0624, 0.1605], [0, 20, 0, 0.1611], [1, 29, 0.0061, 0.1718]] as const) {
    const ci = wilsonInterval(k, n)!;
    close(ci.lo, lo, 5e-5, `${k}/${n} lo`);
    close(ci.hi, hi, 5e-5, `${k}/${n} hi`);
  }
  // 0 of 15: the upper bound is z²/(n+z²), not the Wald interval's 0.
  close(wilsonInterval(0, 15)!.hi, 3.8415 / 18.8415, 1e-4);
  // Symmetric at one half; never outside [0, 1]; nothing judged, no interval.
  const half = wilsonInterval(5, 10)!;
  close(half.lo + half.hi, 1, 1e-12);
  close(half.lo, 0.2366, 1e-4);
  assert.deepEqual(wilsonInterval(10, 10)!.hi, 1);
  assert.equal(wilsonInterval(0, 0), null);
});

test('the same rate over 15 cases is far less certain than over 15,000', () => {
  const small = wilsonInterval(6, 15)!;
  const large = wilsonInterval(6000, 15000)!;
  assert.ok(small.hi - small.lo > 0.4, `15 cases: ${small.lo}..${small.hi}`);
  assert.ok(large.hi - large.lo < 0.02, `15,000 cases: ${large.lo}..${large.hi}`);
});

test("Student's t quantiles: table and expansion agree with published values", () => {
  close(tQuantile975(1), 12.7062, 1e-4);
  close(tQuantile975(14), 2.1448, 1e-4);
  close(tQuantile975(40), 2.0211, 1e-4);
  close(tQuantile975(60), 2.0003, 1e-4);
  close(tQuantile975(120), 1.9799, 1e-4);
  close(tQuantile975(1e6), 1.96, 1e-3);
});

test('t interval of a mean: hand-computed example, clipped to 0..1, none below two values', () => {
  // xs = 0.2, 0.4, 0.6, 0.8: mean 0.5, sd = 0.2582, se = 0.1291, t(3) = 3.1824 → 0.5 ± 0.4108.
  const xs = [0.2, 0.4, 0.6, 0.8];
  const ci = meanInterval(xs.length, xs.reduce((a, b) => a + b, 0), xs.reduce((a, b) => a + b * b, 0))!;
  close(ci.lo, 0.5 - 0.4108, 1e-4);
  close(ci.hi, 0.5 + 0.4108, 1e-4);
  const wide = meanInterval(2, 0.1 + 0.9, 0.01 + 0.81)!;
  assert.deepEqual(wide, { lo: 0, hi: 1 });
  assert.equal(meanInterval(1, 0.5, 0.25), null);
  const same = meanInterval(3, 1.5, 0.75)!;
  assert.deepEqual(same, { lo: 0.5, hi: 0.5 });
});

function row(i: number, success: boolean | null, score: number | null): ViewRow {
  return {
    key: `k${i}`, test_id: `t${i}`, category: 'c', subcategory: '', persona: 'p', model: 'm', attack_success: success,
    overall: score, safety: score, error: null, error_kind: null, judge_status: 'ok', answer: '', latency_ms: null,
    attempts: 1, judge_attempts: 1, completed_at: '', group_id: null, perspective: null, score: null, stance: null,
  };
}

test('the summary aggregates carry each figure’s n and interval', () => {
  const rows = [row(1, true, 0.2), row(2, false, 0.4), row(3, false, 0.6), row(4, false, 0.8), row(5, null, null)];
  const [a] = aggregateByModelPersona(rows);
  assert.equal(a!.judged, 4);
  assert.deepEqual(a!.attackSuccessCI, wilsonInterval(1, 4));
  assert.equal(a!.nOverall, 4);
  assert.equal(a!.nSafety, 4);
  close(a!.meanOverallCI!.hi, 0.9108, 1e-4);
});
