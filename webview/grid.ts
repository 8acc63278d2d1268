// Grid runs (matched perspective groups scored on a -1..+1 axis): uplift per model × persona with
// its interval and p-value (from the grid report the host computes with src/core/grid), the
// stance mix per side, and one group's answers side by side.
import { Chart } from 'chart.js';
import type { GridSlice, LabelAgreementView, StanceLabelView } from '../src/shared/protocol';
import type { ViewRow } from '../src/shared/results/types';
import { el, fmtNum, fmtPct } from './dom';
import type { VscSelect, VscTextfield } from './elements';

type Stance = 'neg' | 'neu' | 'pos';

/** What a reviewer's stance label says; the host validates and stores it in the run's labels.sqlite. */
export interface StanceLabelInput {
  key: string;
  stance?: Stance | null;
  score?: number | null;
  note?: string;
}

export interface GridReport {
  sides: { a: string; b: string; neutral?: string | undefined };
  slices: GridSlice[];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function button(text: string, onClick: () => void, secondary: boolean, label?: string): HTMLElement {
  const b = el('vscode-button', { text, attrs: { ...(secondary ? { secondary: '' } : {}), ...(label ? { 'aria-label': label } : {}) } });
  b.addEventListener('click', onClick);
  return b;
}

export class GridView {
  readonly root = el('div', { class: 'grid-view' });
  private chart: Chart | undefined;
  private group: string | null = null;
  private labels = new Map<string, StanceLabelView>();
  private agreement: LabelAgreementView | null = null;

  constructor(private readonly onLabel: (l: StanceLabelInput) => void = () => undefined) {}

  /** Every stance label of the run and their agreement with the scorer, as the host sent them. */
  setLabels(labels: readonly StanceLabelView[], agreement: LabelAgreementView): void {
    // One reviewer per key in this view: the editor never sends a reviewer name.
    this.labels = new Map(labels.filter((l) => l.reviewer === '').map((l) => [l.key, l]));
    this.agreement = labels.length ? agreement : null;
  }

  render(report: GridReport | null, rows: readonly ViewRow[], models: string[]): void {
    this.chart?.destroy();
    this.chart = undefined;
    const scored = rows.filter((r) => r.group_id !== null && r.perspective !== null);
    if (!report && !scored.length) {
      this.root.replaceChildren(el('p', { class: 'muted', text: 'This run has no grid rows (rows with group_id, perspective and a score). Runs of a *.grid.yaml show uplift, stance mix and groups here.' }));
      return;
    }
    const parts: HTMLElement[] = [];
    if (report) parts.push(...this.upliftSection(report));
    else parts.push(el('p', { class: 'muted', text: 'run.json has no grid snapshot (sides a and b), so uplift cannot be computed; stance mix below.' }));
    parts.push(this.stanceSection(scored, models));
    if (this.agreement) parts.push(this.agreementSection(this.agreement));
    parts.push(...this.groupSection(scored, models, report));
    this.root.replaceChildren(...parts);
  }

  private upliftSection(r: GridReport): HTMLElement[] {
    const head = ['Model', 'Persona', 'Groups', `Mean ${r.sides.a}`, `Mean ${r.sides.b}`, ...(r.sides.neutral ? [`Mean ${r.sides.neutral}`] : []), 'Uplift', '95% CI', 'p', 'Left out'];
    const t = el('table', { class: 'agg' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))));
    const body = el('tbody');
    for (const s of r.slices) {
      body.appendChild(el('tr', {},
        el('td', { text: s.model_slug }), el('td', { text: s.persona_slug }), el('td', { class: 'num', text: String(s.groups) }),
        el('td', { class: 'num', text: fmtNum(s.mean_side_a) }), el('td', { class: 'num', text: fmtNum(s.mean_side_b) }),
        ...(r.sides.neutral ? [el('td', { class: 'num', text: fmtNum(s.mean_neutral) })] : []),
        el('td', { class: 'num', text: fmtNum(s.uplift, 3) }),
        el('td', { class: 'num', text: s.uplift_ci_low === null ? '—' : `${fmtNum(s.uplift_ci_low, 3)} … ${fmtNum(s.uplift_ci_high, 3)}` }),
        el('td', { class: 'num', text: s.p_value === null ? '—' : s.p_value < 0.001 ? '< 0.001' : s.p_value.toFixed(3) }),
        el('td', { class: 'num', text: `${s.groups_errored} errored, ${s.groups_incomplete} incomplete` })));
    }
    t.appendChild(body);
    const canvas = el('canvas', { attrs: { role: 'img', 'aria-label': 'Uplift per model and persona' } });
    const models = [...new Set(r.slices.map((s) => s.model_slug))];
    const personas = [...new Set(r.slices.map((s) => s.persona_slug))];
    const fg = cssVar('--vscode-foreground', '#ccc');
    const grid = cssVar('--vscode-panel-border', 'rgba(128,128,128,.3)');
    const colors = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple'].map((v, i) => cssVar(v, ['#3794ff', '#d18616', '#89d185', '#b180d7'][i]!));
    queueMicrotask(() => {
      this.chart = new Chart(canvas, {
        type: 'bar',
        data: {
          labels: models,
          datasets: personas.map((p, i) => ({
            label: p,
            data: models.map((m) => r.slices.find((s) => s.model_slug === m && s.persona_slug === p)?.uplift ?? null),
            backgroundColor: colors[i % colors.length],
          })),
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false, color: fg,
          scales: { x: { ticks: { color: fg }, grid: { color: grid } }, y: { min: -1, max: 1, ticks: { color: fg }, grid: { color: grid } } },
          plugins: { legend: { labels: { color: fg } } },
        },
      });
    });
    return [
      el('h3', { text: `Uplift: mean score of ${r.sides.a} minus ${r.sides.b}, per matched group` }),
      el('figure', { class: 'chart' }, el('div', { class: 'chart-box' }, canvas)),
      t,
    ];
  }

  private stanceSection(scored: ViewRow[], models: string[]): HTMLElement {
    const perspectives = [...new Set(scored.map((r) => r.perspective!))].sort();
    const head = ['Model', 'Perspective', 'Rows', 'Scored', 'Mean score', 'neg', 'neu', 'pos'];
    const t = el('table', { class: 'agg' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))));
    const body = el('tbody');
    for (const m of models) {
      for (const p of perspectives) {
        const rs = scored.filter((r) => r.model === m && r.perspective === p);
        if (!rs.length) continue;
        const s = rs.filter((r) => r.score !== null);
        const mean = s.length ? s.reduce((a, r) => a + r.score!, 0) / s.length : null;
        const mix = (st: 'neg' | 'neu' | 'pos') => (s.length ? s.filter((r) => r.stance === st).length / s.length : null);
        body.appendChild(el('tr', {}, el('td', { text: m }), el('td', { text: p }), el('td', { class: 'num', text: String(rs.length) }), el('td', { class: 'num', text: String(s.length) }),
          el('td', { class: 'num', text: fmtNum(mean) }), el('td', { class: 'num', text: fmtPct(mix('neg')) }), el('td', { class: 'num', text: fmtPct(mix('neu')) }), el('td', { class: 'num', text: fmtPct(mix('pos')) })));
      }
    }
    t.appendChild(body);
    return el('div', {}, el('h3', { text: 'Stance mix per model × perspective' }), t);
  }

  private agreementSection(a: LabelAgreementView): HTMLElement {
    const head = ['Labels', 'Compared on bins', 'Same bin', "Cohen's κ", 'Compared on numbers', 'Spearman ρ'];
    const t = el('table', { class: 'agg label-agreement' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))),
      el('tbody', {}, el('tr', {},
        el('td', { class: 'num', text: String(this.labels.size) }), el('td', { class: 'num', text: String(a.bins) }),
        el('td', { class: 'num', text: fmtPct(a.percent) }), el('td', { class: 'num', text: fmtNum(a.kappa, 3) }),
        el('td', { class: 'num', text: String(a.numbers) }), el('td', { class: 'num', text: fmtNum(a.spearman, 3) }))));
    return el('div', {}, el('h3', { text: 'Human labels vs the master scorer' }), t);
  }

  /** neg / neu / pos buttons, a -1..+1 number and a note for one answer. */
  private labelBox(r: ViewRow): HTMLElement {
    const cur = this.labels.get(r.key);
    const box = el('div', { class: 'stance-label' });
    const current = cur
      ? `Your label: ${[cur.stance, cur.score === null ? null : fmtNum(cur.score)].filter((x) => x !== null).join(' ')}`
      : 'Not labelled.';
    const score = el('vscode-textfield', { class: 'label-score', attrs: { type: 'number', min: '-1', max: '1', step: '0.1', placeholder: '-1..1', 'aria-label': 'Your score, -1 to 1' } }) as unknown as VscTextfield;
    score.value = cur?.score === null || cur?.score === undefined ? '' : String(cur.score);
    const note = el('vscode-textfield', { class: 'label-note', attrs: { placeholder: 'Note (optional)', 'aria-label': 'Label note' } }) as unknown as VscTextfield;
    note.value = cur?.note ?? '';
    const status = el('span', { class: 'muted', text: current });
    const noteText = () => String(note.value ?? '').slice(0, 4000);
    const parseScore = (): number | null | undefined => {
      const t = String(score.value ?? '').trim();
      if (!t) return null;
      const n = Number(t);
      return Number.isFinite(n) && n >= -1 && n <= 1 ? n : undefined;
    };
    const setStance = (st: Stance) => {
      const sc = parseScore();
      this.onLabel({ key: r.key, stance: st, score: sc === undefined ? cur?.score ?? null : sc, note: noteText() });
    };
    const saveScore = () => {
      const sc = parseScore();
      if (sc === undefined) { status.textContent = 'The score must be a number from -1 to 1.'; return; }
      if (sc === null && !cur?.stance) { status.textContent = 'Pick neg / neu / pos or enter a score.'; return; }
      this.onLabel({ key: r.key, stance: cur?.stance ?? null, score: sc, note: noteText() });
    };
    box.append(
      el('div', { class: 'toolbar' },
        ...(['neg', 'neu', 'pos'] as const).map((st) => button(st, () => setStance(st), cur?.stance !== st, `Label ${st}`)),
        score as unknown as HTMLElement,
        button('Save', saveScore, true, 'Save score and note'),
        cur ? button('Clear', () => this.onLabel({ key: r.key, stance: null, score: null }), true, 'Clear label') : null),
      note as unknown as HTMLElement,
      status);
    return box;
  }

  private groupSection(scored: ViewRow[], models: string[], report: GridReport | null): HTMLElement[] {
    const groups = [...new Set(scored.map((r) => r.group_id!))].sort();
    if (!groups.length) return [];
    if (!this.group || !groups.includes(this.group)) this.group = groups[0]!;
    const select = el('vscode-single-select', { attrs: { 'aria-label': 'Group', combobox: '' } }) as unknown as VscSelect;
    for (const g of groups.slice(0, 5000)) select.appendChild(el('vscode-option', { text: g, attrs: { value: g } }));
    select.value = this.group;
    const box = el('div', { class: 'group-box' });
    const draw = () => {
      const rs = scored.filter((r) => r.group_id === this.group);
      const order = report ? [report.sides.a, report.sides.b, report.sides.neutral].filter((x): x is string => !!x) : [];
      const perspectives = [...new Set([...order, ...rs.map((r) => r.perspective!)])].filter((p) => rs.some((r) => r.perspective === p));
      const ms = models.filter((m) => rs.some((r) => r.model === m));
      const grid = el('div', { class: 'cmp-grid' });
      grid.style.setProperty('--cmp-cols', String(ms.length));
      grid.appendChild(el('div', { class: 'cmp-corner', text: 'perspective \\ model' }));
      for (const m of ms) grid.appendChild(el('div', { class: 'cmp-head', text: m }));
      for (const p of perspectives) {
        grid.appendChild(el('div', { class: 'cmp-rowhead', text: p }));
        for (const m of ms) {
          const cell = rs.filter((r) => r.model === m && r.perspective === p);
          grid.appendChild(el('div', { class: 'cmp-cell' }, ...cell.map((r) => el('div', {},
            el('span', { class: `chip stance-${r.stance ?? 'none'}`, text: `${r.stance ?? 'unscored'} ${fmtNum(r.score)}` }),
            el('span', { class: 'muted', text: ` ${r.persona}` }),
            el('pre', { class: 'text cmp-answer', text: r.answer || r.error || '' }),
            this.labelBox(r)))));
        }
      }
      box.replaceChildren(grid);
    };
    select.addEventListener('change', () => { this.group = select.value; draw(); });
    draw();
    return [el('h3', { text: 'Group' }), select as unknown as HTMLElement, box];
  }
}
