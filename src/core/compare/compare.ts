import { bootstrapMeanCI, mean, wilcoxonSignedRank } from '../grid/stats';
import type { ChangeKind, GroupStats, PairedStat, SideCounts } from '../../shared/compare';

export type { ChangeKind, GroupStats, PairedStat };
import type { GridSides } from '../grid/report';
import type { CompareRow, RowState, RunSide } from './load';
import { mcnemarExact } from './stats';

export interface SideValue {
  state: RowState;
  attack: boolean | null;
  overall: number | null;
  safety: number | null;
  score: number | null;
  error: string | null;
}

export interface KeyChange {
  kind: ChangeKind;
  key: string;
  test_id: string;
  model: string;
  persona: string;
  category: string;
  base: SideValue | null;
  new: SideValue | null;
  /** new − base of the overall score, when both have one. */
  delta_overall: number | null;
  delta_safety: number | null;
}

export interface Comparison {
  base: { label: string; run_id: string; dir: string | null; judge: RunSide['judge'] };
  new: { label: string; run_id: string; dir: string | null; judge: RunSide['judge'] };
  /** `runs` (two runs by key) or a dimension compared within one run. */
  mode: 'runs' | 'model' | 'persona';
  options: { threshold: number; seed: string; resamples: number };
  /** The judge differs (model or prompt): the numbers are not comparable. */
  judge_changed: boolean;
  judge_notes: string[];
  /** Every group pooled. */
  totals: GroupStats;
  groups: GroupStats[];
  /** Every key that is not simply "the same", most severe first (regressions by score drop). */
  changes: KeyChange[];
  counts: Record<ChangeKind, number>;
}

export interface CompareOptions {
  /** A same-verdict key whose overall or safety score moved at least this much is listed (default 0.2). */
  threshold?: number;
  /** Bootstrap seed (default "awb-compare"). */
  seed?: string | number;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  mode?: Comparison['mode'];
}

const KIND_ORDER: ChangeKind[] = ['regression', 'unscored', 'changed', 'score', 'fix', 'removed', 'added'];

function sideValue(r: CompareRow): SideValue {
  return { state: r.state, attack: r.attack, overall: r.overall, safety: r.safety, score: r.score, error: r.error };
}

function emptyCounts(): SideCounts {
  return { rows: 0, errors: 0, judge_errors: 0, unscored: 0 };
}

function count(c: SideCounts, r: CompareRow): void {
  c.rows++;
  if (r.state === 'error') c.errors++;
  else if (r.state === 'judge_error') c.judge_errors++;
  else if (r.state === 'unscored') c.unscored++;
}

/** Accumulates one group's pairs; `finish` runs the tests. */
class GroupAcc {
  readonly base = emptyCounts();
  readonly next = emptyCounts();
  asrPairs = 0;
  asBase = 0;
  asNew = 0;
  regressions = 0;
  fixes = 0;
  readonly overall: [number[], number[]] = [[], []];
  readonly safety: [number[], number[]] = [[], []];
  /** Grid: per grid group, [base a, base b, new a, new b] scores. */
  readonly grid = new Map<string, (number | null)[]>();
  pairs = 0;
  scoreMoves = 0;
  changed = 0;
  added = 0;
  removed = 0;
  unscored = 0;

  constructor(readonly model: string, readonly persona: string) {}

  finish(opts: Required<Pick<CompareOptions, 'resamples'>> & { seed: string }, gridSides: GridSides | null): GroupStats {
    const seed = `${opts.seed}|${this.model}|${this.persona}`;
    const rate = (k: number) => (this.asrPairs ? k / this.asrPairs : null);
    const asrBase = rate(this.asBase), asrNew = rate(this.asNew);
    const mc = mcnemarExact(this.regressions, this.fixes);
    let uplift: PairedStat | null = null;
    if (gridSides) {
      const b: number[] = [], n: number[] = [];
      for (const v of this.grid.values()) {
        if (v.every((x) => typeof x === 'number')) { b.push(v[0]! - v[1]!); n.push(v[2]! - v[3]!); }
      }
      uplift = paired(b, n, opts.resamples, `${seed}|uplift`);
    }
    return {
      model: this.model,
      persona: this.persona,
      base_counts: this.base,
      new_counts: this.next,
      pairs: this.pairs,
      asr_base: asrBase,
      asr_new: asrNew,
      asr_diff: asrBase === null || asrNew === null ? null : asrNew - asrBase,
      regressions: this.regressions,
      fixes: this.fixes,
      mcnemar_p: Number.isNaN(mc.p) ? null : mc.p,
      overall: paired(this.overall[0], this.overall[1], opts.resamples, `${seed}|overall`),
      safety: paired(this.safety[0], this.safety[1], opts.resamples, `${seed}|safety`),
      uplift,
      score_moves: this.scoreMoves,
      changed: this.changed,
      added: this.added,
      removed: this.removed,
      unscored_pairs: this.unscored,
    };
  }
}

function paired(base: number[], next: number[], resamples: number, seed: string): PairedStat {
  const n = base.length;
  if (n === 0) return { n: 0, base: null, new: null, diff: null, ci: null, p: null, p_method: 'none' };
  const d = new Float64Array(n);
  // Rounded to 1e-12: scores are decimals, and 0.9 − 0.6 must tie with 0.6 − 0.3 when ranked.
  for (let i = 0; i < n; i++) d[i] = Math.round((next[i]! - base[i]!) * 1e12) / 1e12;
  const w = wilcoxonSignedRank(d);
  const ci = bootstrapMeanCI(d, { resamples, seed });
  return { n, base: mean(base), new: mean(next), diff: mean(d), ci, p: Number.isNaN(w.p) ? null : w.p, p_method: w.method };
}

/**
 * What differs between two runs' judges. `changed` is set only on evidence: a different judge
 * model, a different recorded prompt, or a different scorer. A side with no judge record (nothing
 * scored yet) or without prompt hashes (scored later by `awb score`) gets a note instead.
 */
function judgeDiff(a: RunSide['judge'], b: RunSide['judge']): { changed: boolean; notes: string[] } {
  const notes: string[] = [];
  let changed = false;
  const am = a.models.join(', '), bm = b.models.join(', ');
  if (!am || !bm) notes.push(`${!am && !bm ? 'neither run has' : !am ? 'the base run has' : 'the new run has'} a judge record (nothing scored yet?): the judges cannot be compared`);
  else if (am !== bm) { changed = true; notes.push(`judge model differs: ${am} → ${bm}`); }
  else if (a.models.length > 1) notes.push(`more than one judge model scored these runs: ${am}`);
  if (a.prompt !== null && b.prompt !== null) {
    if (a.prompt !== b.prompt) { changed = true; notes.push('judge prompt differs (the scorer or its instructions changed)'); }
  } else if (a.scorers.length && b.scorers.length && a.scorers.join(',') !== b.scorers.join(',')) {
    changed = true;
    notes.push(`judge scorer differs: ${a.scorers.join(', ')} → ${b.scorers.join(', ')}`);
  } else if ((a.prompt === null) !== (b.prompt === null) && am && bm) {
    notes.push('the judge prompt is recorded on one side only (a run scored later by awb score): compared by judge model and scorer only');
  }
  return { changed, notes };
}

/**
 * Compares two sides key by key. A key in both, judged on both, with the same case text is a pair:
 * it counts in the attack success rates, McNemar's test, the paired score tests, and is a
 * regression, a fix or a score move. A case whose text changed is `changed`; a key with no verdict
 * on either side is `unscored` (counted, listed, never taken as safe).
 */
export function compareSides(base: RunSide, next: RunSide, opts: CompareOptions = {}): Comparison {
  const threshold = opts.threshold ?? 0.2;
  const seed = String(opts.seed ?? 'awb-compare');
  const resamples = opts.resamples ?? 2000;
  const groups = new Map<string, GroupAcc>();
  const total = new GroupAcc('(all)', '(all)');
  const group = (r: CompareRow) => {
    const k = `${r.model}\u0000${r.persona}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = new GroupAcc(r.model, r.persona)));
    return g;
  };
  const gridSides = base.grid && next.grid && base.grid.a === next.grid.a && base.grid.b === next.grid.b ? next.grid : null;
  const changes: KeyChange[] = [];
  const counts: Record<ChangeKind, number> = { regression: 0, fix: 0, score: 0, changed: 0, added: 0, removed: 0, unscored: 0 };
  const push = (kind: ChangeKind, r: CompareRow, b: CompareRow | undefined, n: CompareRow | undefined) => {
    counts[kind]++;
    const dOverall = b?.overall != null && n?.overall != null ? n.overall - b.overall : null;
    const dSafety = b?.safety != null && n?.safety != null ? n.safety - b.safety : null;
    changes.push({ kind, key: r.key, test_id: r.test_id, model: r.model, persona: r.persona, category: r.category, base: b ? sideValue(b) : null, new: n ? sideValue(n) : null, delta_overall: dOverall, delta_safety: dSafety });
  };

  for (const b of base.rows.values()) {
    const g = group(b);
    count(g.base, b);
    count(total.base, b);
    const n = next.rows.get(b.key);
    if (!n) { g.removed++; total.removed++; push('removed', b, b, undefined); continue; }
    const hb = base.caseHashes.get(b.test_id), hn = next.caseHashes.get(n.test_id);
    if (hb !== undefined && hn !== undefined && hb !== hn) { g.changed++; total.changed++; push('changed', n, b, n); continue; }
    if (b.state !== 'ok' || n.state !== 'ok') { g.unscored++; total.unscored++; push('unscored', n, b, n); continue; }
    for (const acc of [g, total]) {
      acc.pairs++;
      if (b.overall !== null && n.overall !== null) { acc.overall[0].push(b.overall); acc.overall[1].push(n.overall); }
      if (b.safety !== null && n.safety !== null) { acc.safety[0].push(b.safety); acc.safety[1].push(n.safety); }
      if (b.attack !== null && n.attack !== null) {
        acc.asrPairs++;
        if (b.attack) acc.asBase++;
        if (n.attack) acc.asNew++;
      }
    }
    if (gridSides && b.group_id && b.perspective && b.score !== null && n.score !== null) {
      const side = b.perspective === gridSides.a ? 0 : b.perspective === gridSides.b ? 1 : -1;
      if (side >= 0) {
        let v = g.grid.get(b.group_id);
        if (!v) g.grid.set(b.group_id, (v = [null, null, null, null]));
        v[side] = b.score;
        v[2 + side] = n.score;
      }
    }
    if (b.attack === false && n.attack === true) { g.regressions++; total.regressions++; push('regression', n, b, n); continue; }
    if (b.attack === true && n.attack === false) { g.fixes++; total.fixes++; push('fix', n, b, n); continue; }
    const moved = [b.overall !== null && n.overall !== null ? Math.abs(n.overall - b.overall) : 0, b.safety !== null && n.safety !== null ? Math.abs(n.safety - b.safety) : 0];
    if (moved.some((m) => m >= threshold - 1e-12)) { g.scoreMoves++; total.scoreMoves++; push('score', n, b, n); }
  }
  for (const n of next.rows.values()) {
    const g = group(n);
    count(g.next, n);
    count(total.next, n);
    if (!base.rows.has(n.key)) { g.added++; total.added++; push('added', n, undefined, n); }
  }
  // The pooled uplift pairs grid groups within each model × persona; pool those per-group pairs.
  if (gridSides) {
    for (const [k, g] of groups) for (const [gid, v] of g.grid) total.grid.set(`${k}\u0000${gid}`, v);
  }

  const rank = (c: KeyChange) => KIND_ORDER.indexOf(c.kind);
  changes.sort((x, y) => rank(x) - rank(y) || (x.delta_overall ?? 0) - (y.delta_overall ?? 0) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const judge = opts.mode && opts.mode !== 'runs' ? { changed: false, notes: [] } : judgeDiff(base.judge, next.judge);
  const fin = { resamples, seed };
  const ordered = [...groups.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.persona < b.persona ? -1 : a.persona > b.persona ? 1 : 0));
  return {
    base: { label: base.label, run_id: base.runId, dir: base.dir, judge: base.judge },
    new: { label: next.label, run_id: next.runId, dir: next.dir, judge: next.judge },
    mode: opts.mode ?? 'runs',
    options: { threshold, seed, resamples },
    judge_changed: judge.changed,
    judge_notes: judge.notes,
    totals: total.finish(fin, gridSides),
    groups: ordered.map((g) => g.finish(fin, gridSides)),
    changes,
    counts,
  };
}
