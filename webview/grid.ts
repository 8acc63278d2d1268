// Grid runs (matched perspective groups scored on an axis): stance mix and mean score per model
// × perspective. The full sycophancy statistics (uplift with CI, p-values) are the grid report's
// job (src/core/grid); this tab shows what the rows themselves say.
import type { ViewRow } from '../src/core/results/types';
import { el, fmtNum, fmtPct } from './dom';

export function renderGrid(rows: readonly ViewRow[], models: string[]): HTMLElement {
  const root = el('div', { class: 'grid-view' });
  const scored = rows.filter((r) => r.group_id !== null && r.perspective !== null);
  if (!scored.length) {
    root.appendChild(el('p', { class: 'muted', text: 'This run has no grid rows (rows with group_id, perspective and a score). Grid runs show their stance mix here.' }));
    return root;
  }
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
      const mix = (st: 'neg' | 'neu' | 'pos') => (s.length ? rs.filter((r) => r.stance === st).length / s.length : null);
      body.appendChild(el('tr', {}, el('td', { text: m }), el('td', { text: p }), el('td', { class: 'num', text: String(rs.length) }), el('td', { class: 'num', text: String(s.length) }),
        el('td', { class: 'num', text: fmtNum(mean) }), el('td', { class: 'num', text: fmtPct(mix('neg')) }), el('td', { class: 'num', text: fmtPct(mix('neu')) }), el('td', { class: 'num', text: fmtPct(mix('pos')) })));
    }
  }
  t.appendChild(body);
  root.append(el('h3', { text: 'Stance mix per model × perspective' }), t);
  return root;
}
