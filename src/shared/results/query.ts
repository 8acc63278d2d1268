// Browser-safe: filters and sorting for the results table, used by the webview on up to
// 100,000 rows. Sorting is done once per (data, column) and filtering walks the sorted order,
// so a filter change costs one pass, never a sort.
import type { Review, SortColumn, ViewRow } from './types';

/** What the table is filtered by. Empty arrays and absent fields mean "any". */
export interface RowFilter {
  models?: string[];
  personas?: string[];
  categories?: string[];
  subcategories?: string[];
  /** `true`/`false` the judge's verdict, `null` no verdict (error or pending). */
  attack?: 'any' | 'true' | 'false' | 'null';
  /** `none` rows without error, `some` any error, `gen`/`judge` that kind only. */
  error?: 'any' | 'none' | 'some' | 'gen' | 'judge';
  /** `yes` rows with a human label, `no` without. */
  reviewed?: 'any' | 'yes' | 'no';
  /** Case-insensitive substring of the answer, the test id or the case's prompt. */
  text?: string;
}

export interface SortSpec {
  column: SortColumn;
  descending: boolean;
}

type Getter = (r: ViewRow, review: Review | undefined) => string | number | boolean | null;

const GETTERS: Record<SortColumn, Getter> = {
  test_id: (r) => r.test_id,
  category: (r) => r.category,
  subcategory: (r) => r.subcategory,
  persona: (r) => r.persona,
  model: (r) => r.model,
  attack_success: (r) => r.attack_success,
  overall: (r) => r.overall,
  safety: (r) => r.safety,
  error: (r) => r.error,
  judge_status: (r) => r.judge_status,
  latency_ms: (r) => r.latency_ms,
  attempts: (r) => r.attempts,
  completed_at: (r) => r.completed_at,
  answer: (r) => r.answer,
  review: (_r, rv) => (rv ? rv.verdict : null),
};

/** Orders values of one column; null/empty always last, whatever the direction. */
function compareValues(a: string | number | boolean | null, b: string | number | boolean | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b ? 0 : a ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The rows of one run, kept in arrival order, with a cached sorted order and a filtered view.
 * Upserting a key that is already present replaces that row (last wins, as in partials.jsonl).
 */
export class RowTable {
  readonly rows: ViewRow[] = [];
  private readonly index = new Map<string, number>();
  private lower: (string | undefined)[] = [];
  private sorted: Int32Array | null = null;
  private sortSpec: SortSpec | null = null;
  private prompts = new Map<string, string>();
  reviews = new Map<string, Review>();

  get size(): number {
    return this.rows.length;
  }

  get(key: string): ViewRow | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.rows[i];
  }

  /** Adds or replaces rows; returns how many were new keys. */
  upsert(rows: readonly ViewRow[]): number {
    let added = 0;
    for (const r of rows) {
      const i = this.index.get(r.key);
      if (i === undefined) {
        this.index.set(r.key, this.rows.length);
        this.rows.push(r);
        added++;
      } else {
        this.rows[i] = r;
        this.lower[i] = undefined;
        if (i < this.warmAt) this.warmAt = i;
      }
    }
    if (rows.length) this.sorted = null;
    return added;
  }

  clear(): void {
    this.rows.length = 0;
    this.index.clear();
    this.lower = [];
    this.warmAt = 0;
    this.sorted = null;
  }

  /** Prompt text per test id, searched by the free-text filter. */
  setPrompts(prompts: Record<string, string>): void {
    this.prompts = new Map(Object.entries(prompts).map(([k, v]) => [k, v.toLowerCase()]));
  }

  setReviews(reviews: Iterable<Review>): void {
    this.reviews = new Map([...reviews].map((r) => [r.key, r]));
    if (this.sortSpec?.column === 'review') this.sorted = null;
  }

  setSort(spec: SortSpec | null): void {
    if (spec?.column !== this.sortSpec?.column || spec?.descending !== this.sortSpec?.descending) this.sorted = null;
    this.sortSpec = spec;
  }

  /** Row indices in display order (sorted, unfiltered). */
  order(): Int32Array {
    if (this.sorted) return this.sorted;
    const n = this.rows.length;
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const spec = this.sortSpec;
    if (spec) {
      const get = GETTERS[spec.column];
      // Extract keys once: a comparator that calls getters costs several times more at 100k rows.
      const keys = new Array<string | number | boolean | null>(n);
      for (let i = 0; i < n; i++) keys[i] = get(this.rows[i]!, this.reviews.get(this.rows[i]!.key));
      const sign = spec.descending ? -1 : 1;
      idx.sort((a, b) => {
        const ka = keys[a]!, kb = keys[b]!;
        if (ka === null || kb === null) return compareValues(ka, kb) || a - b;
        return sign * compareValues(ka, kb) || a - b;
      });
    }
    this.sorted = idx;
    return idx;
  }

  /** Row indices that pass the filter, in display order. */
  query(filter: RowFilter): Int32Array {
    const order = this.order();
    const test = this.predicate(filter);
    const out = new Int32Array(order.length);
    let k = 0;
    for (let j = 0; j < order.length; j++) {
      const i = order[j]!;
      if (test(i)) out[k++] = i;
    }
    return out.subarray(0, k);
  }

  /**
   * Prepares the search text of up to `budget` rows not prepared yet; returns false when all
   * are. Called in idle time after loading so the first search does not pay for it.
   */
  warmSearch(budget: number): boolean {
    let n = 0;
    for (let i = this.warmAt; i < this.rows.length; i++) {
      if (this.lower[i] === undefined) {
        this.lowerAnswer(i);
        if (++n >= budget) { this.warmAt = i + 1; return true; }
      }
    }
    this.warmAt = this.rows.length;
    return false;
  }
  private warmAt = 0;

  private lowerAnswer(i: number): string {
    let s = this.lower[i];
    if (s === undefined) {
      const r = this.rows[i]!;
      s = `${r.answer}\u0000${r.test_id}`.toLowerCase();
      this.lower[i] = s;
    }
    return s;
  }

  private predicate(f: RowFilter): (i: number) => boolean {
    const set = (xs?: string[]) => (xs && xs.length ? new Set(xs) : null);
    const models = set(f.models), personas = set(f.personas), cats = set(f.categories), subs = set(f.subcategories);
    const attack = f.attack ?? 'any', error = f.error ?? 'any', reviewed = f.reviewed ?? 'any';
    const needle = (f.text ?? '').trim().toLowerCase();
    let promptHits: Set<string> | null = null;
    if (needle) {
      promptHits = new Set();
      for (const [id, text] of this.prompts) if (text.includes(needle)) promptHits.add(id);
    }
    const rows = this.rows;
    return (i) => {
      const r = rows[i]!;
      if (models && !models.has(r.model)) return false;
      if (personas && !personas.has(r.persona)) return false;
      if (cats && !cats.has(r.category)) return false;
      if (subs && !subs.has(r.subcategory)) return false;
      if (attack !== 'any') {
        const v = r.attack_success;
        if (attack === 'null' ? v !== null : v !== (attack === 'true')) return false;
      }
      if (error !== 'any') {
        const k = r.error_kind;
        if (error === 'none' ? k !== null : error === 'some' ? k === null : k !== error) return false;
      }
      if (reviewed !== 'any' && this.reviews.has(r.key) !== (reviewed === 'yes')) return false;
      if (needle && !promptHits!.has(r.test_id) && !this.lowerAnswer(i).includes(needle)) return false;
      return true;
    };
  }

  /** Distinct values of a column, sorted, for filter drop-downs. */
  distinct(column: 'model' | 'persona' | 'category' | 'subcategory'): string[] {
    const s = new Set<string>();
    for (const r of this.rows) s.add(r[column]);
    return [...s].sort();
  }
}
