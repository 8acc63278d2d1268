// Judge JSON as a collapsible tree. Keys and values are untrusted: all go in as text.
import { el } from './dom';

const MAX_NODES = 5000;

/** Renders any JSON value; objects and arrays fold (open to `openDepth`). */
export function jsonView(value: unknown, openDepth = 2): HTMLElement {
  const budget = { left: MAX_NODES };
  const root = el('div', { class: 'json', attrs: { role: 'tree' } });
  root.appendChild(node(null, value, 0, openDepth, budget));
  if (budget.left <= 0) root.appendChild(el('div', { class: 'muted', text: `(truncated after ${MAX_NODES} nodes; use Copy for the whole JSON)` }));
  return root;
}

function scalar(v: unknown): HTMLElement {
  if (v === null) return el('span', { class: 'j-null', text: 'null' });
  switch (typeof v) {
    case 'string': return el('span', { class: 'j-str', text: JSON.stringify(v) });
    case 'number': return el('span', { class: 'j-num', text: String(v) });
    case 'boolean': return el('span', { class: 'j-bool', text: String(v) });
    default: return el('span', { class: 'j-null', text: String(v) });
  }
}

function label(key: string | null): HTMLElement | null {
  return key === null ? null : el('span', { class: 'j-key', text: `${JSON.stringify(key)}: ` });
}

function node(key: string | null, v: unknown, depth: number, openDepth: number, budget: { left: number }): HTMLElement {
  budget.left--;
  if (v === null || typeof v !== 'object') return el('div', { class: 'j-line', attrs: { role: 'treeitem' } }, label(key), scalar(v));
  const isArr = Array.isArray(v);
  const entries: [string, unknown][] = isArr ? (v as unknown[]).map((x, i) => [String(i), x]) : Object.entries(v as object);
  const [open, close] = isArr ? ['[', ']'] : ['{', '}'];
  if (!entries.length) return el('div', { class: 'j-line', attrs: { role: 'treeitem' } }, label(key), `${open}${close}`);
  const details = el('details', { class: 'j-node', attrs: { role: 'treeitem' } });
  details.open = depth < openDepth;
  details.appendChild(el('summary', {}, label(key), el('span', { class: 'j-brace', text: open }), el('span', { class: 'j-count', text: ` ${entries.length} ${isArr ? 'items' : 'keys'} ` }), el('span', { class: 'j-brace j-close-inline', text: close })));
  const body = el('div', { class: 'j-body', attrs: { role: 'group' } });
  for (const [k, x] of entries) {
    if (budget.left <= 0) break;
    body.appendChild(node(isArr ? null : k, x, depth + 1, openDepth, budget));
  }
  details.appendChild(body);
  details.appendChild(el('div', { class: 'j-brace', text: close }));
  return details;
}
