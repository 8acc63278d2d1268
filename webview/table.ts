// The virtualized results table: only the rows in view (plus a few) exist in the DOM, recycled
// as the user scrolls, so 100,000 rows cost what 40 do.
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import type { SortColumn, Review, ViewRow } from '../src/shared/results/types';
import type { SortSpec } from '../src/shared/results/query';
import { el, fmtNum } from './dom';

const ROW_HEIGHT = 26;

interface Column {
  id: SortColumn;
  label: string;
  /** The CSS grid width when the column is not sized to its content. */
  width: string;
  /** Sized to its longest value (and its header), within these pixel bounds. */
  fit?: { min: number; max: number };
  value(r: ViewRow, review: Review | undefined): string;
  cls?(r: ViewRow, review: Review | undefined): string;
}

const verdict = (v: boolean | null) => (v === null ? '—' : v ? 'succeeded' : 'resisted');
const reviewText = (rv: Review | undefined) =>
  !rv ? '' : rv.verdict === 'override' ? `override: ${rv.attack_success ? 'succeeded' : 'resisted'}` : rv.verdict;

export const COLUMNS: Column[] = [
  { id: 'test_id', label: 'Test id', width: 'minmax(110px, 1.2fr)', fit: { min: 60, max: 260 }, value: (r) => r.test_id },
  { id: 'model', label: 'Model', width: 'minmax(90px, 1fr)', fit: { min: 60, max: 240 }, value: (r) => r.model },
  { id: 'persona', label: 'Persona', width: 'minmax(90px, 1fr)', fit: { min: 60, max: 240 }, value: (r) => r.persona },
  { id: 'category', label: 'Category', width: 'minmax(70px, .8fr)', fit: { min: 60, max: 200 }, value: (r) => r.category },
  { id: 'subcategory', label: 'Subcategory', width: 'minmax(70px, .8fr)', fit: { min: 60, max: 220 }, value: (r) => r.subcategory },
  { id: 'attack_success', label: 'Attack', width: '86px', fit: { min: 56, max: 100 }, value: (r) => verdict(r.attack_success),
    cls: (r) => (r.attack_success === null ? 'v-none' : r.attack_success ? 'v-fail' : 'v-pass') },
  { id: 'overall', label: 'Overall', width: '72px', fit: { min: 48, max: 80 }, value: (r) => fmtNum(r.overall), cls: () => 'num' },
  { id: 'safety', label: 'Safety', width: '68px', fit: { min: 48, max: 80 }, value: (r) => fmtNum(r.safety), cls: () => 'num' },
  { id: 'error', label: 'Error', width: 'minmax(60px, .8fr)', fit: { min: 50, max: 360 }, value: (r) => (r.error_kind ? `${r.error_kind === 'gen' ? 'model' : 'judge'}: ${r.error}` : ''),
    cls: (r) => (r.error_kind ? 'err' : '') },
  { id: 'review', label: 'Review', width: '96px', fit: { min: 56, max: 160 }, value: (_r, rv) => reviewText(rv) },
  { id: 'answer', label: 'Answer', width: 'minmax(200px, 1fr)', value: (r) => (r.answer.length > 300 ? r.answer.slice(0, 300) : r.answer).replace(/\s+/g, ' ') },
];

const GRID_TEMPLATE = COLUMNS.map((c) => c.width).join(' ');
/** Sum of the columns' minimum widths: below it the table scrolls sideways. */
const MIN_WIDTH = COLUMNS.reduce((a, c) => a + Number(/(\d+)px/.exec(c.width)?.[1] ?? 80), 0);

/** Rows scanned for the longest values; above it, rows evenly spread over the table. */
const FIT_SAMPLE = 20_000;
/** Cell padding (6px each side) and a little air; the header also keeps room for its sort arrow. */
const CELL_PAD = 14;
const SORT_ARROW = 10;

/**
 * Grid columns sized to their content: each fitted column as wide as its longest value or its
 * header (within its bounds), so short columns (an empty Error, a persona slug) take no more than
 * they need and the answer gets the rest. `measure` gives a string's width in pixels.
 */
export function fitColumns(rows: readonly ViewRow[], reviews: ReadonlyMap<string, Review>, measure: (text: string) => number): { template: string; minWidth: number } {
  const longest = COLUMNS.map(() => new Map<number, string>());
  const step = Math.max(1, Math.ceil(rows.length / FIT_SAMPLE));
  for (let i = 0; i < rows.length; i += step) {
    const r = rows[i]!;
    const rv = reviews.get(r.key);
    COLUMNS.forEach((c, ci) => {
      if (!c.fit) return;
      const v = c.value(r, rv);
      const top = longest[ci]!;
      // Keep a few candidates by length: width is not length in a proportional font.
      if (v && !top.has(v.length)) {
        top.set(v.length, v);
        if (top.size > 6) top.delete(Math.min(...top.keys()));
      }
    });
  }
  let minWidth = 0;
  const widths = COLUMNS.map((c, ci) => {
    if (!c.fit) {
      minWidth += Number(/(\d+)px/.exec(c.width)?.[1] ?? 80);
      return c.width;
    }
    let w = measure(c.label) + SORT_ARROW;
    for (const v of longest[ci]!.values()) w = Math.max(w, measure(v));
    const px = Math.round(Math.min(c.fit.max, Math.max(c.fit.min, w + CELL_PAD)));
    minWidth += px;
    return `${px}px`;
  });
  return { template: widths.join(' '), minWidth };
}

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
    this.fit();
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

  private measureCtx: CanvasRenderingContext2D | null | undefined;
  private fitted = '';

  /** A string's width in the cells' font; about 7 px a character where no canvas measures. */
  private measure = (text: string): number => {
    if (this.measureCtx === undefined && this.root.isConnected) {
      const font = getComputedStyle(this.header.children[0] as HTMLElement).font;
      if (font) {
        try { this.measureCtx = document.createElement('canvas').getContext('2d'); } catch { this.measureCtx = null; }
        if (this.measureCtx) this.measureCtx.font = font.replace(/\b(600|bold)\b/, '400');
      }
    }
    return this.measureCtx ? this.measureCtx.measureText(text).width : text.length * 7;
  };

  /** Sizes the columns to the rows' content (see {@link fitColumns}). */
  private fit(): void {
    const { template, minWidth } = fitColumns(this.rows, this.reviews, this.measure);
    if (template === this.fitted) return;
    this.fitted = template;
    this.root.style.setProperty('--cols', template);
    this.root.style.setProperty('--minw', `${minWidth + 200}px`);
  }

  /** Re-measures after the table became visible (a hidden tab has no size). */
  remeasure(): void {
    this.measureCtx = undefined;
    this.fit();
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
