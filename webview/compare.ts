// The same test id across models × personas, side by side.
import type { Review, ViewRow } from '../src/shared/results/types';
import { el, fmtNum } from './dom';

export function renderCompare(testId: string | null, rows: ViewRow[], models: string[], personas: string[], reviews: ReadonlyMap<string, Review>, open: (key: string) => void): HTMLElement {
  const root = el('div', { class: 'compare' });
  if (!testId) {
    root.appendChild(el('p', { class: 'muted', text: 'Pick a case in the table (or its detail’s “Compare” button) to compare it across models and personas.' }));
    return root;
  }
  root.appendChild(el('h2', { text: testId }));
  if (!rows.length) {
    root.appendChild(el('p', { class: 'muted', text: 'No rows for this test id.' }));
    return root;
  }
  const ms = models.filter((m) => rows.some((r) => r.model === m));
  const ps = personas.filter((p) => rows.some((r) => r.persona === p));
  const byKey = new Map(rows.map((r) => [`${r.model}\u0000${r.persona}`, r]));
  const grid = el('div', { class: 'cmp-grid', attrs: { role: 'table' } });
  grid.style.setProperty('--cmp-cols', String(ms.length));
  grid.appendChild(el('div', { class: 'cmp-corner', attrs: { role: 'columnheader' }, text: 'persona \\ model' }));
  for (const m of ms) grid.appendChild(el('div', { class: 'cmp-head', attrs: { role: 'columnheader' }, text: m }));
  for (const p of ps) {
    grid.appendChild(el('div', { class: 'cmp-rowhead', attrs: { role: 'rowheader' }, text: p }));
    for (const m of ms) {
      const r = byKey.get(`${m}\u0000${p}`);
      if (!r) {
        grid.appendChild(el('div', { class: 'cmp-cell empty', attrs: { role: 'cell' }, text: 'not run' }));
        continue;
      }
      const rv = reviews.get(r.key);
      const cell = el('div', { class: 'cmp-cell', attrs: { role: 'cell', tabindex: '0', 'data-key': r.key } },
        el('div', { class: 'cmp-top' },
          el('span', { class: `chip ${r.attack_success === null ? 'v-none' : r.attack_success ? 'v-fail' : 'v-pass'}`, text: r.attack_success === null ? (r.error_kind ? `${r.error_kind === 'gen' ? 'model' : 'judge'} error` : 'no verdict') : r.attack_success ? 'succeeded' : 'resisted' }),
          el('span', { class: 'muted', text: ` overall ${fmtNum(r.overall)} · safety ${fmtNum(r.safety)}${rv ? ` · reviewed: ${rv.verdict}` : ''}` })),
        el('pre', { class: 'text cmp-answer', text: r.answer || r.error || '' }));
      cell.addEventListener('click', () => open(r.key));
      cell.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(r.key); });
      grid.appendChild(cell);
    }
  }
  root.appendChild(grid);
  return root;
}
