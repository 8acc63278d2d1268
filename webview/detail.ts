// Case detail: what was sent, what came back, what the judge said, and the reviewer's label.
import type { CaseDetail } from '../src/shared/protocol';
import type { Review, ViewRow } from '../src/shared/results/types';
import { humanAttackSuccess } from '../src/shared/results/aggregate';
import { el, fmtNum } from './dom';
import { jsonView } from './jsonView';
import type { Host } from './host';
import type { VscTextfield } from './elements';

export interface DetailCallbacks {
  compare(testId: string): void;
  close(): void;
}

function section(title: string, open: boolean, ...body: (Node | null)[]): HTMLElement {
  const c = el('vscode-collapsible', { class: 'section', attrs: { heading: title } });
  (c as HTMLElement & { open: boolean }).open = open;
  for (const b of body) if (b) c.appendChild(b);
  return c;
}

const pre = (text: string, cls = '') => el('pre', { class: `text ${cls}`, text });
const muted = (text: string) => el('p', { class: 'muted', text });

function kv(rows: [string, string][]): HTMLElement {
  const t = el('dl', { class: 'kv' });
  for (const [k, v] of rows) t.append(el('dt', { text: k }), el('dd', { text: v }));
  return t;
}

function verdictChip(v: boolean | null): HTMLElement {
  return el('span', { class: `chip ${v === null ? 'v-none' : v ? 'v-fail' : 'v-pass'}`, text: v === null ? 'no verdict' : v ? 'attack succeeded' : 'attack resisted' });
}

function button(text: string, onClick: () => void, secondary = false): HTMLElement {
  const b = el('vscode-button', { text, attrs: secondary ? { secondary: '' } : {} });
  b.addEventListener('click', onClick);
  return b;
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? null : String(v));

/** Builds the detail pane for one row; `detail` is null while loading or when the row is gone. */
export function renderDetail(host: Host, row: ViewRow, detail: CaseDetail | null | undefined, review: Review | undefined, cb: DetailCallbacks): HTMLElement {
  const root = el('div', { class: 'detail', attrs: { 'data-key': row.key } });
  const head = el('div', { class: 'detail-head' },
    el('h2', { text: row.test_id }),
    el('div', { class: 'detail-sub' }, el('span', { text: `${row.model} · ${row.persona} · ${row.category}/${row.subcategory}` }), ' ', verdictChip(row.attack_success),
      el('span', { class: 'muted', text: ` overall ${fmtNum(row.overall)} · safety ${fmtNum(row.safety)}` })),
    el('div', { class: 'toolbar' },
      button('Compare models × personas', () => cb.compare(row.test_id), true),
      detail?.canOpenDataset ? button('Open in dataset', () => host.post({ type: 'openInDataset', key: row.key }), true) : null,
      button('Close', () => cb.close(), true)),
  );
  root.appendChild(head);
  if (detail === undefined) {
    root.appendChild(el('vscode-progress-ring'));
    return root;
  }
  if (detail === null) {
    root.appendChild(muted('This row is no longer in the run.'));
    return root;
  }
  const r = detail.row;
  const p = detail.prompt;
  const error = str(r.error);
  const judgeError = str(r.judge_error);
  if (error || judgeError) {
    root.appendChild(section('Error', true,
      error ? el('div', {}, el('h4', { text: 'Model call' }), pre(error, 'err')) : null,
      judgeError ? el('div', {}, el('h4', { text: 'Judge' }), pre(judgeError, 'err')) : null,
      str(r.judge_raw) ? el('div', {}, el('h4', { text: 'Judge raw text (not parsed)' }), pre(str(r.judge_raw)!)) : null));
  }
  root.appendChild(section('System prompt (as sent)', false, p ? (p.system ? pre(p.system) : muted('No system prompt.')) : muted('The run did not record its prompts.')));
  const convo = el('div', { class: 'convo' });
  if (p?.conversation.length) for (const t of p.conversation) convo.appendChild(el('div', { class: `turn turn-${t.role === 'assistant' ? 'assistant' : t.role === 'system' ? 'system' : 'user'}` }, el('div', { class: 'role', text: t.role }), pre(t.content)));
  else convo.appendChild(muted('The run did not record its conversation.'));
  root.appendChild(section('Conversation', true, convo));
  const answer = str(r.raw_candidate);
  root.appendChild(section('Candidate answer', true,
    answer !== null ? pre(answer, 'answer') : muted('No answer (the model call failed).'),
    answer !== null ? el('div', { class: 'toolbar' }, button('Copy answer', () => host.post({ type: 'copy', text: answer }), true)) : null));

  const judge = r.judge_json;
  const judgeBody = el('div', { class: 'judge' });
  if (judge && typeof judge === 'object') {
    const text = JSON.stringify(judge, null, 2);
    judgeBody.append(
      el('div', { class: 'toolbar' }, button('Copy JSON', () => host.post({ type: 'copy', text }), true)),
      jsonView(judge),
    );
  } else judgeBody.appendChild(muted(judgeError ? 'The judge gave no valid JSON.' : 'Not judged.'));
  root.appendChild(section(`Judge JSON${str(r.judge_model) ? ` (${str(r.judge_model)})` : ''}`, true, judgeBody));

  root.appendChild(section('Expected safe behaviour', true, p?.expected_safe_behavior ? pre(p.expected_safe_behavior) : muted('Not recorded.')));
  root.appendChild(section('Attack notes', false, p?.attack_notes ? pre(p.attack_notes) : muted('None.')));
  const ms = (v: unknown) => (typeof v === 'number' ? `${Math.round(v)} ms` : '—');
  root.appendChild(section('Timings and retries', false, kv([
    ['started', str(r.started_at) ?? '—'],
    ['completed', str(r.completed_at) ?? '—'],
    ['model latency', ms(r.latency_ms)],
    ['judge latency', ms(r.judge_latency_ms)],
    ['model attempts', String(r.attempts ?? '—')],
    ['judge attempts', String(r.judge_attempts ?? '—')],
    ['judge status', str(r.judge_status) ?? '—'],
    ['provider model', str(r.model) ?? '—'],
    ['dataset', detail.dataset ? `${detail.dataset}${detail.datasetLine ? `:${detail.datasetLine}` : ''}` : '—'],
    ['key', row.key],
  ])));
  root.appendChild(section('Human review', true, reviewForm(host, row, review)));
  return root;
}

function reviewForm(host: Host, row: ViewRow, review: Review | undefined): HTMLElement {
  const box = el('div', { class: 'review' });
  const current = review
    ? `Your label: ${review.verdict === 'override' ? `override — attack ${review.attack_success ? 'succeeded' : 'resisted'}` : review.verdict}` +
      ` (human says ${(() => { const h = humanAttackSuccess(review, row.attack_success); return h === null ? 'no verdict' : h ? 'attack succeeded' : 'attack resisted'; })()})`
    : 'Not reviewed yet.';
  box.appendChild(el('p', { class: 'review-current', text: current }));
  const note = el('vscode-textarea', { class: 'note', attrs: { placeholder: 'Note (optional)', rows: '2', 'aria-label': 'Review note' } }) as unknown as VscTextfield;
  note.value = review?.note ?? '';
  box.appendChild(note as unknown as HTMLElement);
  const save = (verdict: Review['verdict'] | null, attack: boolean | null = null) =>
    host.post({ type: 'saveReview', key: row.key, verdict, attack_success: attack, note: String(note.value ?? '').slice(0, 4000) });
  box.appendChild(el('div', { class: 'toolbar' },
    row.attack_success !== null ? button('Agree', () => save('agree')) : null,
    row.attack_success !== null ? button('Disagree', () => save('disagree')) : null,
    button('Override: attack succeeded', () => save('override', true), true),
    button('Override: attack resisted', () => save('override', false), true),
    review ? button('Clear label', () => save(null), true) : null));
  return box;
}
