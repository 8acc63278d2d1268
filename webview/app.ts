// The results view's controller: holds the rows, applies filters and sort, and keeps the
// summary, the table, the case detail and the comparison in step with what the host sends.
import { RowTable, type RowFilter, type SortSpec } from '../src/shared/results/query';
import { aggregateByModelPersona, judgeHumanAgreement } from '../src/shared/results/aggregate';
import { SORT_COLUMNS } from '../src/shared/results/types';
import type { CaseDetail, HostMessage, RunView } from '../src/shared/protocol';
import { el, replaceChildren } from './dom';
import { renderDetail } from './detail';
import { renderCompare } from './compare';
import { FilterBar } from './filters';
import { GridView, type GridReport } from './grid';
import { TABS, type Host, type SavedState, type Tab } from './host';
import { SummaryView } from './summary';
import { TableView } from './table';
import type { VscTabs } from './elements';

const TAB_LABELS: Record<Tab, string> = { summary: 'Summary', table: 'Cases', compare: 'Compare', grid: 'Grid' };

export class App {
  private readonly table = new RowTable();
  private run: RunView | null = null;
  private skipped = 0;
  private loading = true;
  private state: SavedState;
  private view: Int32Array = new Int32Array(0);
  private readonly details = new Map<string, CaseDetail | null>();
  private reqId = 0;
  private readonly pending = new Map<number, string>();
  private compareTestId: string | null = null;
  private dirty = { query: true, summary: true, lists: true, detail: true, compare: true, grid: true };
  private frame = 0;
  private lastSummary = 0;
  private lastLists = 0;
  private firstPaintMarked = false;

  private readonly header = el('header', { class: 'run-head' });
  private readonly notice = el('div', { class: 'notice', attrs: { role: 'status' } });
  private readonly tabs: VscTabs;
  private readonly summary = new SummaryView();
  private readonly filters: FilterBar;
  private readonly tableView: TableView;
  private readonly detailPane = el('aside', { class: 'detail-pane', attrs: { 'aria-label': 'Case detail' } });
  private readonly split = el('div', { class: 'split' });
  private readonly comparePane = el('div', { class: 'compare-pane' });
  private readonly gridView = new GridView((l) => this.host.post({ type: 'setStanceLabel', ...l }));
  private gridReport: GridReport | null = null;
  private readonly panels = new Map<Tab, HTMLElement>();

  constructor(private readonly root: HTMLElement, private readonly host: Host) {
    this.state = host.state();
    const panelId = document.body.dataset.panelId;
    if (panelId) this.state.panelId = panelId;
    if (this.state.sort && !(SORT_COLUMNS as readonly string[]).includes(this.state.sort.column)) this.state.sort = null;
    this.table.setSort(this.state.sort);
    this.filters = new FilterBar(this.state.filter, (f, source) => this.setFilter(f, source));
    this.tableView = new TableView({ onSelect: (k) => this.select(k), onSort: (s) => this.setSort(s) });
    this.tableView.setSort(this.state.sort);
    this.tableView.onDraw = (n) => {
      if (!this.firstPaintMarked && n > 0) {
        this.firstPaintMarked = true;
        performance.mark('awb:table-first-paint');
      }
    };

    this.tabs = el('vscode-tabs', { class: 'tabs' }) as unknown as VscTabs;
    for (const t of TABS) {
      this.tabs.appendChild(el('vscode-tab-header', { text: TAB_LABELS[t], class: `tab-${t}`, attrs: { slot: 'header' } }));
      const panel = el('vscode-tab-panel', { class: `panel-${t}` });
      this.panels.set(t, panel);
      this.tabs.appendChild(panel);
    }
    this.split.append(this.tableView.root, this.detailPane);
    this.panels.get('summary')!.appendChild(this.summary.root);
    this.panels.get('table')!.append(this.filters.root, this.split);
    this.panels.get('compare')!.appendChild(this.comparePane);
    this.panels.get('grid')!.appendChild(this.gridView.root);
    this.tabs.addEventListener('vsc-tabs-select', (e) => {
      const i = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      this.showTab(TABS[i] ?? 'summary');
    });
    this.notice.hidden = true;
    replaceChildren(this.root, this.header, this.notice, this.tabs as unknown as HTMLElement);
    this.tabs.selectedIndex = TABS.indexOf(this.state.tab);
    this.root.classList.toggle('tab-table', this.state.tab === 'table');
    this.tableView.mount();
    this.renderHeader();
    this.save();
    // Theme changes swap the body class; charts read colours once, so rebuild them.
    new MutationObserver(() => { this.summary.retheme(); this.invalidate('summary'); }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  onMessage(m: HostMessage): void {
    switch (m.type) {
      case 'init':
        this.run = m.run;
        this.table.setPrompts(m.prompts);
        this.renderHeader();
        this.invalidate('summary', 'lists', 'compare');
        return;
      case 'rows':
        if (m.reset) {
          this.table.clear();
          this.details.clear();
          this.loading = true;
        }
        if (m.rows.length) {
          this.table.upsert(m.rows);
          for (const r of m.rows) this.details.delete(r.key);
        }
        this.skipped = m.skipped;
        if (m.done) {
          this.loading = false;
          performance.mark('awb:rows-done');
          this.warmSearch();
        }
        this.invalidate('query', 'summary', 'lists', 'compare', 'grid', 'detail');
        if (m.rows.length && this.state.selected && m.rows.some((r) => r.key === this.state.selected)) this.requestDetail(this.state.selected);
        this.renderHeader();
        return;
      case 'status':
        if (this.run) this.run = { ...this.run, status: m.status };
        this.renderHeader();
        return;
      case 'caseDetail': {
        const key = this.pending.get(m.reqId);
        this.pending.delete(m.reqId);
        if (key === undefined) return;
        this.details.set(key, m.detail);
        if (key === this.state.selected) this.invalidate('detail');
        return;
      }
      case 'reviews': {
        const next = m.replace ? new Map() : new Map(this.table.reviews);
        for (const r of m.reviews) next.set(r.key, r);
        for (const k of m.removed) next.delete(k);
        this.table.setReviews(next.values());
        this.invalidate('query', 'summary', 'detail', 'compare');
        if (!m.replace) this.flash('Review saved.');
        return;
      }
      case 'notice':
        this.flash(m.text, m.level === 'error');
        return;
      case 'stanceLabels':
        this.gridView.setLabels(m.labels, m.agreement);
        this.invalidate('grid');
        return;
      case 'grid':
        this.gridReport = { sides: m.sides, slices: m.slices };
        this.invalidate('grid');
        return;
    }
  }

  private flash(text: string, error = false): void {
    this.notice.textContent = text;
    this.notice.classList.toggle('error', error);
    this.notice.hidden = false;
    clearTimeout((this.notice as unknown as { t?: number }).t);
    (this.notice as unknown as { t?: number }).t = window.setTimeout(() => { this.notice.hidden = true; }, error ? 8000 : 2500);
  }

  private save(): void {
    this.host.saveState(this.state);
  }

  private setFilter(f: RowFilter, source: string): void {
    this.state.filter = f;
    this.save();
    // Synchronous, so the measure below is the real cost of a filter change.
    performance.mark('awb:filter-start');
    this.dirty.query = true;
    this.refreshTable();
    performance.measure(`awb:filter:${source}`, 'awb:filter-start');
    this.measurePainted(`awb:filter-painted:${source}`, 'awb:filter-start');
    this.invalidate('compare');
  }

  private setSort(s: SortSpec | null): void {
    this.state.sort = s;
    this.save();
    this.table.setSort(s);
    this.tableView.setSort(s);
    performance.mark('awb:sort-start');
    this.dirty.query = true;
    this.refreshTable();
    performance.measure('awb:sort', 'awb:sort-start');
    this.measurePainted('awb:sort-painted', 'awb:sort-start');
  }

  /** Measures up to the frame that shows the change (the task after the next frame's paint). */
  private measurePainted(name: string, start: string): void {
    const mark = `${name}:start`;
    performance.mark(mark, { startTime: performance.getEntriesByName(start, 'mark').at(-1)?.startTime ?? performance.now() });
    requestAnimationFrame(() => setTimeout(() => performance.measure(name, mark), 0));
  }

  private showTab(t: Tab): void {
    this.state.tab = t;
    this.save();
    this.root.classList.toggle('tab-table', t === 'table');
    if (t === 'table') requestAnimationFrame(() => this.tableView.remeasure());
    this.invalidate('summary', 'compare', 'grid');
  }

  private select(key: string): void {
    this.state.selected = key;
    this.save();
    this.tableView.setSelected(key);
    if (!this.details.has(key)) this.requestDetail(key);
    this.invalidate('detail');
  }

  private requestDetail(key: string): void {
    const reqId = ++this.reqId;
    this.pending.set(reqId, key);
    this.host.post({ type: 'getCase', reqId, key });
  }

  private openCompare(testId: string): void {
    this.compareTestId = testId;
    this.tabs.selectedIndex = TABS.indexOf('compare');
    this.showTab('compare');
  }

  private invalidate(...parts: (keyof App['dirty'])[]): void {
    for (const p of parts) this.dirty[p] = true;
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.refresh(); });
  }

  private refreshTable(): void {
    if (this.dirty.query) {
      this.dirty.query = false;
      this.view = this.table.query(this.state.filter);
      this.tableView.setData(this.table.rows, this.view, this.table.reviews);
      this.filters.setCount(this.view.length, this.table.size);
    }
  }

  private refresh(): void {
    this.refreshTable();
    // Distinct values cost a pass over every row: while loading, at most once a second.
    if (this.dirty.lists && (!this.loading || performance.now() - this.lastLists > 1000)) {
      this.dirty.lists = false;
      this.lastLists = performance.now();
      this.filters.setValues('models', ordered(this.run?.models, this.table.distinct('model')));
      this.filters.setValues('personas', ordered(this.run?.personas, this.table.distinct('persona')));
      this.filters.setValues('categories', this.table.distinct('category'));
      this.filters.setValues('subcategories', this.table.distinct('subcategory'));
    }
    const tab = this.state.tab;
    // While rows stream in, the summary is recomputed at most every 500 ms.
    if (this.dirty.summary && tab === 'summary' && (!this.loading || performance.now() - this.lastSummary > 500)) {
      this.dirty.summary = false;
      this.lastSummary = performance.now();
      const rows = this.table.rows;
      this.summary.update({
        run: this.run,
        loaded: rows.length,
        skipped: this.skipped,
        aggregates: aggregateByModelPersona(rows, { models: this.run?.models, personas: this.run?.personas }),
        agreement: judgeHumanAgreement(rows, this.table.reviews),
        labels: this.table.reviews.size,
      });
    } else if (this.dirty.summary && tab === 'summary') this.invalidateLater();
    if (this.dirty.lists) this.invalidateLater();
    if (this.dirty.detail && tab === 'table') {
      this.dirty.detail = false;
      this.renderDetailPane();
    }
    if (this.dirty.compare && tab === 'compare') {
      this.dirty.compare = false;
      const id = this.compareTestId ?? (this.state.selected ? this.table.get(this.state.selected)?.test_id ?? null : null);
      const rows = id ? this.table.rows.filter((r) => r.test_id === id) : [];
      replaceChildren(this.comparePane, renderCompare(id, rows, ordered(this.run?.models, this.table.distinct('model')), ordered(this.run?.personas, this.table.distinct('persona')), this.table.reviews, (k) => {
        this.tabs.selectedIndex = TABS.indexOf('table');
        this.showTab('table');
        this.select(k);
        this.tableView.scrollToKey(k);
      }));
    }
    if (this.dirty.grid && tab === 'grid') {
      this.dirty.grid = false;
      this.gridView.render(this.gridReport, this.table.rows, ordered(this.run?.models, this.table.distinct('model')));
    }
  }

  /** Lower-cases answers for search in idle slices once everything is in. */
  private warmSearch(): void {
    const step = (deadline?: IdleDeadline) => {
      let more = true;
      while (more && (!deadline || deadline.timeRemaining() > 2)) more = this.table.warmSearch(2000);
      if (more) schedule();
    };
    const schedule = () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(step, { timeout: 200 }) : setTimeout(step, 0));
    schedule();
  }

  private laterTimer = 0;
  /** Comes back for throttled parts (summary, value lists) once the throttle has passed. */
  private invalidateLater(): void {
    if (this.laterTimer) return;
    this.laterTimer = window.setTimeout(() => { this.laterTimer = 0; this.invalidate(); }, 500);
  }

  private renderDetailPane(): void {
    const key = this.state.selected;
    const row = key ? this.table.get(key) : undefined;
    this.split.classList.toggle('with-detail', !!row);
    if (!row) {
      replaceChildren(this.detailPane);
      return;
    }
    replaceChildren(this.detailPane, renderDetail(this.host, row, this.details.get(row.key), this.table.reviews.get(row.key), {
      compare: (id) => this.openCompare(id),
      close: () => {
        this.state.selected = null;
        this.save();
        this.tableView.setSelected(null);
        this.invalidate('detail');
      },
    }));
  }

  private renderHeader(): void {
    const r = this.run;
    const status = r?.status ?? 'partial';
    replaceChildren(this.header,
      el('h1', { text: r ? `Run ${r.runId}` : 'Results' }),
      el('span', { class: `chip status-${status}`, text: status }),
      el('span', { class: 'muted', text: ` ${this.table.size}${r?.total ? ` / ${r.total}` : ''} rows${r?.createdAt ? ` · ${new Date(r.createdAt).toLocaleString()}` : ''}${r?.judgeModel ? ` · judge ${r.judgeModel}` : ''}` }),
      this.loading ? el('span', { class: 'muted loading-rows', text: ' · loading…' }) : null,
      status === 'running' ? el('span', { class: 'live', text: ' ● live' }) : null,
    );
  }
}

/** Values in the run's own order first, then any others seen in rows. */
function ordered(preferred: readonly string[] | undefined, seen: string[]): string[] {
  const s = new Set(seen);
  const out = (preferred ?? []).filter((v) => s.has(v));
  for (const v of seen) if (!out.includes(v)) out.push(v);
  return out;
}

