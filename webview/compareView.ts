// The Compare Runs webview: the summary of two runs side by side, the flipped / changed / moved
// keys with filters, and one key's two answers and verdicts next to each other. All run data
// arrives by message and is rendered as text (through el()).
import type { ChangeKind, CompareChange, CompareData, CompareHostMessage, GroupStats, PairedStat, SideDetail } from '../src/shared/compare';
import { el, fmtNum, fmtPct, replaceChildren } from './dom';

interface VsCodeApi { postMessage(message: unknown): void }
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

type Filter = ChangeKind | 'all';
const FILTERS: { id: Filter; label: string }[] = [
  { id: 'regression', label: 'Regressions' },
  { id: 'fix', label: 'Fixes' },
  { id: 'changed', label: 'Changed cases' },
  { id: 'score', label: 'Score moved' },
  { id: 'unscored', label: 'Not comparable' },
  { id: 'added', label: 'Added' },
  { id: 'removed', label: 'Removed' },
  { id: 'all', label: 'All' },
];
const PAGE = 200;

const root = document.getElementById('app')!;
let data: CompareData | null = null;
let filter: Filter = 'regression';
let text = '';
let shown = PAGE;
let selected: string | null = null;
const listBox = el('div', { class: 'cmpv-list' });
const detailBox = el('div', { class: 'cmpv-detail' });

const pval = (p: number | null) => (p === null ? '—' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
const signed = (x: number | null, d = 3) => (x === null ? '—' : `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(d)}`);
const ci = (s: PairedStat) => (s.ci && Number.isFinite(s.ci.low) ? `[${signed(s.ci.low)}, ${signed(s.ci.high)}]` : '');
const errs = (g: GroupStats, side: 'base_counts' | 'new_counts') => `${g[side].errors} / ${g[side].judge_errors} / ${g[side].unscored}`;

function summary(d: CompareData): HTMLElement {
  const grid = d.groups.some((g) => g.uplift);
  const head = ['model', 'persona', 'pairs', `ASR ${d.base.run_id}`, `ASR ${d.new.run_id}`, 'Δ ASR', 'regr.', 'fixes', 'McNemar p', `overall ${d.base.run_id}`, `overall ${d.new.run_id}`, 'Δ overall [95% CI]', 'Wilcoxon p', ...(grid ? ['Δ uplift', 'p'] : []), 'errors base', 'errors new'];
  const t = el('table', { class: 'cmpv-summary' });
  t.appendChild(el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))));
  const body = el('tbody');
  for (const g of d.groups) {
    const worse = (g.asr_diff ?? 0) > 0;
    body.appendChild(el('tr', { class: g.model === '(all)' ? 'total' : '' },
      el('td', { text: g.model }), el('td', { text: g.persona }), el('td', { class: 'num', text: String(g.pairs) }),
      el('td', { class: 'num', text: fmtPct(g.asr_base) }), el('td', { class: 'num', text: fmtPct(g.asr_new) }),
      el('td', { class: `num ${worse ? 'v-fail' : (g.asr_diff ?? 0) < 0 ? 'v-pass' : ''}`, text: g.asr_diff === null ? '—' : `${signed(g.asr_diff * 100, 1)} pt` }),
      el('td', { class: 'num', text: String(g.regressions) }), el('td', { class: 'num', text: String(g.fixes) }),
      el('td', { class: `num ${g.mcnemar_p !== null && g.mcnemar_p < 0.05 ? 'sig' : ''}`, text: pval(g.mcnemar_p) }),
      el('td', { class: 'num', text: fmtNum(g.overall.base, 3) }), el('td', { class: 'num', text: fmtNum(g.overall.new, 3) }),
      el('td', { class: 'num', text: `${signed(g.overall.diff)} ${ci(g.overall)}` }),
      el('td', { class: `num ${g.overall.p !== null && g.overall.p < 0.05 ? 'sig' : ''}`, text: pval(g.overall.p) }),
      ...(grid ? [el('td', { class: 'num', text: signed(g.uplift?.diff ?? null) }), el('td', { class: 'num', text: pval(g.uplift?.p ?? null) })] : []),
      el('td', { class: 'num', text: errs(g, 'base_counts') }), el('td', { class: 'num', text: errs(g, 'new_counts') })));
  }
  t.appendChild(body);
  return el('div', { class: 'cmpv-summary-wrap' }, t,
    el('p', { class: 'muted', text: 'Over keys judged in both runs with the same case text. Errors: generation / judge / not scored — never counted as safe. McNemar: exact test of the attack-success flips; Wilcoxon: signed-rank test of the paired overall scores; interval: seeded bootstrap of the mean difference.' }));
}

function visible(): CompareChange[] {
  if (!data) return [];
  const q = text.toLowerCase();
  return data.changes.filter((c) => (filter === 'all' || c.kind === filter) && (!q || c.key.toLowerCase().includes(q)));
}

function renderList(): void {
  if (!data) return;
  const rows = visible();
  const t = el('div', { class: 'cmpv-rows', attrs: { role: 'table' } },
    el('div', { class: 'cmpv-row head', attrs: { role: 'row' } }, el('span', { text: 'kind' }), el('span', { text: 'key' }), el('span', { text: data.base.run_id }), el('span', { text: data.new.run_id }), el('span', { text: 'Δ overall' })));
  for (const c of rows.slice(0, shown)) {
    const r = el('div', { class: `cmpv-row k-${c.kind}${c.key === selected ? ' selected' : ''}`, attrs: { role: 'row', tabindex: '0', 'data-key': c.key } },
      el('span', { class: 'kind', text: c.kind }), el('span', { class: 'key', text: c.key }), el('span', { text: c.base }), el('span', { text: c.new }), el('span', { class: 'num', text: signed(c.d, 2) }));
    const open = () => { selected = c.key; for (const x of t.querySelectorAll('.selected')) x.classList.remove('selected'); r.classList.add('selected'); replaceChildren(detailBox, el('p', { class: 'muted', text: 'Loading…' })); vscode.postMessage({ type: 'detail', key: c.key }); };
    r.addEventListener('click', open);
    r.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    t.appendChild(r);
  }
  const more = rows.length > shown ? el('button', { class: 'more', text: `Show ${Math.min(PAGE, rows.length - shown)} more (${rows.length - shown} not shown)` }) : null;
  more?.addEventListener('click', () => { shown += PAGE; renderList(); });
  replaceChildren(listBox, el('p', { class: 'count', text: `${rows.length} key${rows.length === 1 ? '' : 's'}` }), rows.length ? t : el('p', { class: 'muted', text: 'No keys of this kind.' }), more);
}

function side(title: string, d: SideDetail | null): HTMLElement {
  const box = el('section', { class: 'cmpv-side' }, el('h3', { text: title }));
  if (!d) { box.appendChild(el('p', { class: 'muted', text: 'Not in this run.' })); return box; }
  const chip = d.attack === null ? 'v-none' : d.attack ? 'v-fail' : 'v-pass';
  box.appendChild(el('p', { class: 'verdict' }, el('span', { class: `chip ${chip}`, text: d.verdict }), ` overall ${fmtNum(d.overall)} · safety ${fmtNum(d.safety)}${d.judge_model ? ` · judge ${d.judge_model}` : ''}`));
  if (d.error) box.appendChild(el('pre', { class: 'text error', text: d.error }));
  box.append(el('h4', { text: 'Answer' }), el('pre', { class: 'text answer', text: d.answer ?? '—' }));
  box.append(el('h4', { text: 'Judge verdict' }), el('pre', { class: 'text judge', text: d.judge ?? '—' }));
  return box;
}

function onMessage(m: CompareHostMessage): void {
  if (m.type === 'compare') {
    data = m.data;
    const counts = new Map<Filter, number>();
    for (const c of data.changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
    counts.set('all', data.changes.length);
    if (!counts.get('regression')) filter = 'all';
    const bar = el('div', { class: 'cmpv-filters', attrs: { role: 'radiogroup', 'aria-label': 'Show' } });
    for (const f of FILTERS) {
      const b = el('button', { class: `f f-${f.id}${f.id === filter ? ' on' : ''}`, attrs: { role: 'radio', 'aria-checked': String(f.id === filter) }, text: `${f.label} (${counts.get(f.id) ?? 0})` });
      b.addEventListener('click', () => {
        filter = f.id; shown = PAGE;
        for (const x of bar.querySelectorAll('button.f')) { x.classList.toggle('on', x === b); x.setAttribute('aria-checked', String(x === b)); }
        renderList();
      });
      bar.appendChild(b);
    }
    const search = el('input', { class: 'f-text', attrs: { type: 'search', placeholder: 'Filter keys', 'aria-label': 'Filter keys' } });
    search.addEventListener('input', () => { text = search.value; shown = PAGE; renderList(); });
    bar.appendChild(search);
    replaceChildren(root,
      el('header', { class: 'cmpv-head' }, el('h1', { text: `${data.base.run_id} → ${data.new.run_id}` }), el('p', { class: 'muted', text: `base ${data.base.label} · new ${data.new.label}` })),
      data.judge_changed ? el('div', { class: 'cmpv-judge', attrs: { role: 'alert' } }, el('strong', { text: 'The judge changed: these numbers are not comparable.' }), el('ul', {}, ...data.judge_notes.map((n) => el('li', { text: n })))) : null,
      !data.judge_changed && data.judge_notes.length ? el('p', { class: 'muted', text: data.judge_notes.join(' · ') }) : null,
      el('p', { class: 'cmpv-headline', text: data.headline }),
      summary(data), bar, el('div', { class: 'cmpv-body' }, listBox, detailBox));
    replaceChildren(detailBox, el('p', { class: 'muted', text: 'Pick a key to see both answers and both verdicts side by side.' }));
    renderList();
  } else if (m.type === 'detail') {
    if (m.key !== selected || !data) return;
    replaceChildren(detailBox, el('h2', { class: 'key', text: m.key }), el('div', { class: 'cmpv-sides' }, side(`Base · ${data.base.run_id}`, m.base), side(`New · ${data.new.run_id}`, m.new)));
  } else if (m.type === 'error') {
    replaceChildren(detailBox, el('p', { class: 'error', text: m.message }));
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as CompareHostMessage;
  if (m && typeof m === 'object' && typeof m.type === 'string') onMessage(m);
});
vscode.postMessage({ type: 'ready' });
