// The virtualized results table: only the rows in view (plus a few) exist in the DOM, recycled
// as the user scrolls, so 100,000 rows cost what 40 do.
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import type { SortColumn, Review, ViewRow } from '../src/shared/results/types';
import type { SortSpec } from '../src/shared/results/query';
import { el, fmtNum } from './dom';

export const ROW_HEIGHT = 26;

interface Column {
  id: SortColumn;
  label: string;
  width: string;
  value(r: ViewRow, review: Review | undefined): string;
  cls?(r: ViewRow, review: Review | undefined): string;
}

const verdict = (v: boolean | null) => (v === null ? '—' : v ? 'succeeded' : 'resisted');
const reviewText = (rv: Review | undefined) =>
  !rv ? '' : rv.verdict === 'override' ? `override: ${rv.attack_success ? 'succeeded' : 'resisted'}` : rv.verdict;

export const COLUMNS: Column[] = [
  { id: 'test_id', label: 'Test id', width: 'minmax(110px, 1.2fr)', value: (r) => r.test_id },
  { id: 'model', label: 'Model', width: 'minmax(90px, 1fr)', value: (r) => r.model },
  { id: 'persona', label: 'Persona', width: 'minmax(90px, 1fr)', value: (r) => r.persona },
  { id: 'category', label: 'Category', width: 'minmax(70px, .8fr)', value: (r) => r.category },
  { id: 'subcategory', label: 'Subcategory', width: 'minmax(70px, .8fr)', value: (r) => r.subcategory },
  { id: 'attack_success', label: 'Attack', width: '86px', value: (r) => verdict(r.attack_success),
    cls: (r) => (r.attack_success === null ? 'v-none' : r.attack_success ? 'v-fail' : 'v-pass') },
  { id: 'overall', label: 'Overall', width: '72px', value: (r) => fmtNum(r.overall), cls: () => 'num' },
  { id: 'safety', label: 'Safety', width: '68px', value: (r) => fmtNum(r.safety), cls: () => 'num' },
  { id: 'error', label: 'Error', width: 'minmax(60px, .8fr)', value: (r) => (r.error_kind ? `${r.error_kind === 'gen' ? 'model' : 'judge'}: ${r.error}` : ''),
    cls: (r) => (r.error_kind ? 'err' : '') },
  { id: 'review', label: 'Review', width: '96px', value: (_r, rv) => reviewText(rv) },
  { id: 'answer', label: 'Answer', width: 'minmax(160px, 3fr)', value: (r) => (r.answer.length > 300 ? r.answer.slice(0, 300) : r.answer).replace(/\s+/g, ' ') },
];

export const GRID_TEMPLATE = COLUMNS.map((c) => c.width).join(' ');
/** Sum of the columns' minimum widths: below it the table scrolls sideways. */
export const MIN_WIDTH = COLUMNS.reduce((a, c) => a + Number(/(\d+)px/.exec(c.width)?.[1] ?? 80), 0);

export interface TableCallbacks {
  onSelect(key: string): void;
  onSort(spec: SortSpec | null): void;
}

export class TableView {
  readonly root: HTMLElement;
  private readonly header: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private readonly virtualizer: Virtualizer<HTMLElement, HTMLElement>;
  private rows: readonly ViewRow[] = [];
  private order: Int32Array = new Int32Array(0);
  private reviews: ReadonlyMap<string, Review> = new Map();
  private selected: string | null = null;
  private sort: SortSpec | null = null;
  /** Called after each draw; the bench uses it to time first paint. */
  onDraw: ((visibleRows: number) => void) | undefined;

  constructor(private readonly cb: TableCallbacks) {
    this.header = el('div', { class: 'trow thead', attrs: { role: 'row' } });
    for (const c of COLUMNS) {
      const h = el('button', { class: 'th', text: c.label, attrs: { role: 'columnheader', 'data-col': c.id, type: 'button' } });
      h.addEventListener('click', () => this.clickHeader(c.id));
      this.header.appendChild(h);
    }
    this.spacer = el('div', { class: 'tspacer' });
    this.scroller = el('div', { class: 'tscroll', attrs: { tabindex: '0', role: 'rowgroup' } }, this.spacer);
    const headerWrap = el('div', { class: 'thead-wrap' }, this.header);
    this.root = el('div', { class: 'table', attrs: { role: 'grid', 'aria-label': 'Results' } }, headerWrap, this.scroller);
    this.root.style.setProperty('--cols', GRID_TEMPLATE);
    this.root.style.setProperty('--minw', `${MIN_WIDTH}px`);
    // The header sits outside the scroller (so it stays put vertically) and follows it sideways.
    this.scroller.addEventListener('scroll', () => { headerWrap.scrollLeft = this.scroller.scrollLeft; }, { passive: true });
    this.scroller.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.trow');
      const key = row?.dataset.key;
      if (key !== undefined) this.cb.onSelect(key);
    });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
      count: 0,
      getScrollElement: () => this.scroller,
      estimateSize: () => ROW_HEIGHT,
      overscan: 10,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      onChange: () => this.draw(),
    });
  }

  /** Call once the root is in the document. */
  mount(): () => void {
    const cleanup = this.virtualizer._didMount();
    this.virtualizer._willUpdate();
    return cleanup;
  }

  setData(rows: readonly ViewRow[], order: Int32Array, reviews: ReadonlyMap<string, Review>): void {
    this.rows = rows;
    this.order = order;
    this.reviews = reviews;
    this.virtualizer.setOptions({ ...this.virtualizer.options, count: order.length });
    this.virtualizer._willUpdate();
    this.draw();
  }

  setSelected(key: string | null): void {
    this.selected = key;
    this.draw();
  }

  setSort(spec: SortSpec | null): void {
    this.sort = spec;
    for (const h of this.header.children) {
      const col = (h as HTMLElement).dataset.col;
      const dir = spec && spec.column === col ? (spec.descending ? 'descending' : 'ascending') : 'none';
      h.setAttribute('aria-sort', dir);
    }
  }

  /** Re-measures after the table became visible (a hidden tab has no size). */
  remeasure(): void {
    this.virtualizer._willUpdate();
    this.virtualizer.measure();
    this.draw();
  }

  scrollToKey(key: string): void {
    const i = this.indexOfKey(key);
    if (i >= 0) this.virtualizer.scrollToIndex(i, { align: 'auto' });
  }

  private indexOfKey(key: string): number {
    for (let j = 0; j < this.order.length; j++) if (this.rows[this.order[j]!]!.key === key) return j;
    return -1;
  }

  private clickHeader(col: SortColumn): void {
    // ascending → descending → arrival order
    const s = this.sort;
    const next = !s || s.column !== col ? { column: col, descending: false } : !s.descending ? { column: col, descending: true } : null;
    this.cb.onSort(next);
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const at = this.selected ? this.indexOfKey(this.selected) : -1;
    const next = Math.min(this.order.length - 1, Math.max(0, at + (e.key === 'ArrowDown' ? 1 : -1)));
    const row = this.rows[this.order[next]!];
    if (row) {
      this.cb.onSelect(row.key);
      this.virtualizer.scrollToIndex(next, { align: 'auto' });
    }
  }

  private rowEl(i: number): HTMLElement {
    let r = this.pool[i];
    if (!r) {
      r = el('div', { class: 'trow', attrs: { role: 'row' } });
      for (let c = 0; c < COLUMNS.length; c++) r.appendChild(el('div', { class: 'td', attrs: { role: 'gridcell' } }));
      this.pool.push(r);
      this.spacer.appendChild(r);
    }
    return r;
  }

  private draw(): void {
    const items = this.virtualizer.getVirtualItems();
    this.spacer.style.height = `${this.virtualizer.getTotalSize()}px`;
    let n = 0;
    for (const item of items) {
      const row = this.rows[this.order[item.index]!];
      if (!row) continue;
      const r = this.rowEl(n++);
      r.hidden = false;
      r.style.transform = `translateY(${item.start}px)`;
      // Always rewrite: ~40 rows × 11 cells is cheap, and an upserted row keeps its key.
      r.dataset.key = row.key;
      const rv = this.reviews.get(row.key);
      for (let c = 0; c < COLUMNS.length; c++) {
        const col = COLUMNS[c]!;
        const cell = r.children[c] as HTMLElement;
        const text = col.value(row, rv);
        if (cell.textContent !== text) {
          cell.textContent = text;
          cell.title = text;
        }
        const cls = `td ${col.cls?.(row, rv) ?? ''}`;
        if (cell.className !== cls) cell.className = cls;
      }
      r.classList.toggle('selected', row.key === this.selected);
      r.setAttribute('aria-selected', String(row.key === this.selected));
      r.setAttribute('aria-rowindex', String(item.index + 2));
    }
    for (let i = n; i < this.pool.length; i++) {
      const r = this.pool[i]!;
      r.hidden = true;
      delete r.dataset.key;
    }
    this.onDraw?.(n);
  }
}
