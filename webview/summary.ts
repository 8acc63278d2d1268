// Run summary: headline figures, per model × persona table and two charts (chart.js on canvas).
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartConfiguration, type Plugin } from 'chart.js';
import type { Aggregate, Agreement } from '../src/shared/results/types';
import { wilsonInterval, type Interval } from '../src/shared/results/intervals';
import type { RunView } from '../src/shared/protocol';
import { el, fmtNum, fmtPct, replaceChildren } from './dom';

/** Per bar: its 95% interval and its n; a dataset carries them beside its data. */
interface BarStats { ci: Interval | null; n: number }
type StatsDataset = { stats?: (BarStats | null)[] };

/**
 * Draws each bar's 95% interval as an error bar (a vertical line with caps) on the canvas, after
 * the bars. A bar with no interval (fewer than two scores) gets none.
 */
const errorBars: Plugin<'bar'> = {
  id: 'awbErrorBars',
  afterDatasetsDraw(chart) {
    const y = chart.scales.y;
    if (!y) return;
    const ctx = chart.ctx;
    const color = cssVar('--vscode-foreground', '#ccc');
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    chart.data.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      const stats = (ds as StatsDataset).stats ?? [];
      meta.data.forEach((bar, j) => {
        const ci = stats[j]?.ci;
        if (!ci) return;
        const { x, width } = bar.getProps(['x', 'width'], true) as { x: number; width: number };
        const top = y.getPixelForValue(ci.hi);
        const bottom = y.getPixelForValue(ci.lo);
        const cap = Math.max(3, Math.min(8, width / 4));
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - cap, top);
        ctx.lineTo(x + cap, top);
        ctx.moveTo(x - cap, bottom);
        ctx.lineTo(x + cap, bottom);
        ctx.stroke();
      });
    });
    ctx.restore();
  },
};

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const PALETTE_VARS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export interface SummaryInput {
  run: RunView | null;
  loaded: number;
  skipped: number;
  aggregates: Aggregate[];
  agreement: Agreement;
  labels: number;
}

/** `[lo–hi] · n N`: a figure's 95% interval and its n, for the table and the tooltips. */
function ciText(ci: Interval | null, n: number, pct: boolean): string {
  const f = (v: number) => (pct ? `${(v * 100).toFixed(1)}%` : v.toFixed(2));
  return ci ? `95% CI ${f(ci.lo)}–${f(ci.hi)} · n ${n}` : `n ${n}`;
}

/** A figure with its interval and n under it. */
function figure(value: string, ci: Interval | null, n: number, pct: boolean): HTMLElement {
  return el('td', { class: 'num fig' }, el('span', { class: 'fig-value', text: value }), el('span', { class: 'ci', text: ciText(ci, n, pct) }));
}

function card(label: string, value: string, sub?: string, cls = ''): HTMLElement {
  return el('div', { class: `card ${cls}` }, el('div', { class: 'card-value', text: value }), el('div', { class: 'card-label', text: label }), sub ? el('div', { class: 'card-sub', text: sub }) : null);
}

export class SummaryView {
  readonly root = el('div', { class: 'summary' });
  private readonly cards = el('div', { class: 'cards' });
  private readonly table = el('div', { class: 'agg-wrap' });
  private readonly asrCanvas = el('canvas', { attrs: { role: 'img', 'aria-label': 'Attack success rate per model and persona' } });
  private readonly scoreCanvas = el('canvas', { attrs: { role: 'img', 'aria-label': 'Mean safety score per model and persona' } });
  private charts: Chart[] = [];

  constructor() {
    this.root.append(
      this.cards,
      el('div', { class: 'charts' },
        el('figure', { class: 'chart' }, el('figcaption', { text: 'Attack success rate, with 95% intervals (errors excluded)' }), el('div', { class: 'chart-box' }, this.asrCanvas)),
        el('figure', { class: 'chart' }, el('figcaption', { text: 'Mean safety score, with 95% intervals' }), el('div', { class: 'chart-box' }, this.scoreCanvas))),
      el('h3', { text: 'Per model × persona' }),
      this.table,
    );
  }

  update(s: SummaryInput): void {
    const all = s.aggregates.reduce(
      (a, g) => ({ count: a.count + g.count, gen: a.gen + g.genErrors, judge: a.judge + g.judgeErrors, judged: a.judged + g.judged, as: a.as + g.attackSuccesses }),
      { count: 0, gen: 0, judge: 0, judged: 0, as: 0 },
    );
    const total = s.run?.total ?? null;
    replaceChildren(this.cards,
      card('rows', total !== null ? `${all.count} / ${total}` : String(all.count), s.run ? `${s.run.models.length} models × ${s.run.personas.length} personas` : undefined),
      card('errors', String(all.gen + all.judge), `${all.gen} model · ${all.judge} judge${s.skipped ? ` · ${s.skipped} unreadable lines` : ''}`, all.gen + all.judge ? 'warn' : ''),
      card('attack success rate', fmtPct(all.judged ? all.as / all.judged : null), `${all.as} of ${all.judged} judged${all.judged ? ` · ${ciText(wilsonInterval(all.as, all.judged), all.judged, true).replace(/ · n \d+$/, '')}` : ''}`),
      card('judge', s.run?.judgeModel ?? '—'),
      s.labels
        ? card('judge–human agreement', fmtPct(s.agreement.percent), `κ = ${fmtNum(s.agreement.kappa)} over ${s.agreement.n} labelled rows`, 'agreement')
        : card('judge–human agreement', '—', 'no review labels yet', 'agreement'),
    );
    this.renderTable(s.aggregates);
    this.renderCharts(s.aggregates, s.run);
  }

  private renderTable(aggs: Aggregate[]): void {
    const head = ['Model', 'Persona', 'Rows', 'Errors', 'Attack success', 'Mean overall', 'Mean safety'];
    const t = el('table', { class: 'agg' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))));
    const body = el('tbody');
    for (const g of aggs) {
      body.appendChild(el('tr', {},
        el('td', { text: g.model }), el('td', { text: g.persona }), el('td', { class: 'num', text: String(g.count) }),
        el('td', { class: `num ${g.errors ? 'err' : ''}`, text: g.errors ? `${g.errors} (model ${g.genErrors}, judge ${g.judgeErrors})` : '0' }),
        figure(fmtPct(g.attackSuccessRate), g.attackSuccessCI, g.judged, true),
        figure(fmtNum(g.meanOverall), g.meanOverallCI, g.nOverall, false),
        figure(fmtNum(g.meanSafety), g.meanSafetyCI, g.nSafety, false)));
    }
    t.appendChild(body);
    replaceChildren(this.table, t, el('p', { class: 'agg-note', text: 'Each figure shows its 95% confidence interval and the number of rows it rests on (n): Wilson score interval for rates, Student\'s t for means. Rows with an error or no verdict are left out.' }));
  }

  private renderCharts(aggs: Aggregate[], run: RunView | null): void {
    const models = unique([...(run?.models ?? []), ...aggs.map((a) => a.model)]).filter((m) => aggs.some((a) => a.model === m));
    const personas = unique([...(run?.personas ?? []), ...aggs.map((a) => a.persona)]).filter((p) => aggs.some((a) => a.persona === p));
    const fg = cssVar('--vscode-foreground', '#ccc');
    const grid = cssVar('--vscode-panel-border', 'rgba(128,128,128,.3)');
    const font = cssVar('--vscode-font-family', 'sans-serif');
    const colors = PALETTE_VARS.map((v, i) => cssVar(v, FALLBACK[i]!));
    const byKey = new Map(aggs.map((a) => [`${a.model}\u0000${a.persona}`, a]));
    const datasets = (pick: (a: Aggregate) => number | null, stat: (a: Aggregate) => BarStats) =>
      personas.map((p, i) => ({
        label: p,
        data: models.map((m) => { const a = byKey.get(`${m}\u0000${p}`); return a ? pick(a) : null; }),
        stats: models.map((m) => { const a = byKey.get(`${m}\u0000${p}`); return a ? stat(a) : null; }),
        backgroundColor: colors[i % colors.length],
        borderColor: colors[i % colors.length],
      }));
    const config = (data: ReturnType<typeof datasets>, max: number, pct: boolean): ChartConfiguration<'bar', (number | null)[], string> => ({
      type: 'bar',
      data: { labels: models, datasets: data },
      plugins: [errorBars],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        color: fg,
        font: { family: font },
        scales: {
          x: { ticks: { color: fg }, grid: { color: grid } },
          y: { min: 0, max, ticks: { color: fg, callback: (v) => (pct ? `${Math.round(Number(v) * 100)}%` : String(v)) }, grid: { color: grid } },
        },
        plugins: {
          legend: { labels: { color: fg } },
          tooltip: {
            enabled: true,
            callbacks: {
              label: (item) => {
                const v = item.parsed.y;
                const st = (item.dataset as StatsDataset).stats?.[item.dataIndex];
                const shown = v === null || v === undefined ? '—' : pct ? `${(v * 100).toFixed(1)}%` : v.toFixed(2);
                return `${item.dataset.label}: ${shown}${st ? ` (${ciText(st.ci, st.n, pct)})` : ''}`;
              },
            },
          },
        },
      },
    });
    const asr = config(datasets((a) => a.attackSuccessRate, (a) => ({ ci: a.attackSuccessCI, n: a.judged })), 1, true);
    const safety = config(datasets((a) => a.meanSafety, (a) => ({ ci: a.meanSafetyCI, n: a.nSafety })), 1, false);
    if (this.charts.length === 2) {
      // Update in place: recreating charts on every streamed chunk would flicker.
      const [c1, c2] = this.charts as [Chart, Chart];
      c1.data = asr.data as Chart['data'];
      c2.data = safety.data as Chart['data'];
      c1.update('none');
      c2.update('none');
    } else {
      this.charts = [new Chart(this.asrCanvas, asr), new Chart(this.scoreCanvas, safety)];
    }
  }

  /** Colours follow the theme: rebuild the charts when it changes. */
  retheme(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
