import { createRng, shuffleInPlace, type Rng } from './prng';

const MAX_RESTARTS = 8;

/**
 * Picks `n` distinct groups of a full factorial grid so that every level of every factor appears
 * floor(n/L) or ceil(n/L) times (L = that factor's level count) — as evenly as n allows.
 *
 * How: each factor gets a column holding its levels in exactly those counts, shuffled with the
 * seeded generator; row i of the columns is a group. Rows that repeat an earlier group are
 * repaired by swapping one factor's value with another row, which never changes a column's counts.
 * Above half the grid it picks the groups to leave out instead (the complement of a balanced pick
 * is balanced, because the full grid has every level equally often), which keeps repairs rare.
 *
 * Returns group indices (mixed radix, first factor slowest), ascending. Same seed, same result.
 */
export function balancedSample(radices: readonly number[], n: number, seed: string | number): number[] {
  const full = radices.reduce((a, b) => a * b, 1);
  if (n >= full) return Array.from({ length: full }, (_, i) => i);
  if (n <= 0) return [];
  const rng = createRng(seed);
  const complement = n > full / 2;
  const m = complement ? full - n : n;
  let picked: Set<number> | undefined;
  for (let attempt = 0; attempt < MAX_RESTARTS && !picked; attempt++) picked = tryPick(radices, m, rng);
  if (!picked) throw new Error(`balanced sampling of ${n} of ${full} groups did not converge; try another seed`);
  if (!complement) return [...picked].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i < full; i++) if (!picked.has(i)) out.push(i);
  return out;
}

function balancedColumn(levels: number, m: number, rng: Rng): Int32Array {
  const col = new Int32Array(m);
  const whole = Math.floor(m / levels) * levels;
  for (let i = 0; i < whole; i++) col[i] = i % levels;
  // The remainder takes distinct levels chosen at random, so no level is ahead by more than one.
  const rest = shuffleInPlace(Int32Array.from({ length: levels }, (_, i) => i), rng);
  for (let i = whole; i < m; i++) col[i] = rest[i - whole]!;
  return shuffleInPlace(col, rng);
}

function tryPick(radices: readonly number[], m: number, rng: Rng): Set<number> | undefined {
  const k = radices.length;
  const strides = new Array<number>(k);
  for (let f = k - 1, s = 1; f >= 0; f--) { strides[f] = s; s *= radices[f]!; }
  const cols = radices.map((l) => balancedColumn(l, m, rng));
  const keys = new Float64Array(m);
  const count = new Map<number, number>();
  const dups: number[] = [];
  for (let i = 0; i < m; i++) {
    let key = 0;
    for (let f = 0; f < k; f++) key += cols[f]![i]! * strides[f]!;
    keys[i] = key;
    const c = count.get(key) ?? 0;
    count.set(key, c + 1);
    if (c > 0) dups.push(i);
  }
  const swappable = radices.map((l, f) => (l > 1 ? f : -1)).filter((f) => f >= 0);
  let budget = 200 * dups.length + 10_000;
  while (dups.length > 0) {
    if (budget-- <= 0 || swappable.length === 0) return undefined;
    const r = dups[dups.length - 1]!;
    const kr = keys[r]!;
    if ((count.get(kr) ?? 0) <= 1) { dups.pop(); continue; } // already fixed by an earlier swap
    const s = rng.int(m);
    const f = swappable[rng.int(swappable.length)]!;
    const cf = cols[f]!;
    const lr = cf[r]!, ls = cf[s]!;
    if (s === r || lr === ls) continue;
    const ks = keys[s]!;
    const nr = kr + (ls - lr) * strides[f]!;
    const ns = ks + (lr - ls) * strides[f]!;
    if (count.has(nr) || count.has(ns)) continue;
    cf[r] = ls; cf[s] = lr;
    keys[r] = nr; keys[s] = ns;
    count.set(kr, count.get(kr)! - 1);
    const cs = count.get(ks)! - 1;
    if (cs === 0) count.delete(ks); else count.set(ks, cs);
    count.set(nr, 1);
    count.set(ns, 1);
    dups.pop();
  }
  return new Set(keys);
}
