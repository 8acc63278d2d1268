// The only way the results webview builds DOM. Text goes in through text nodes, never as HTML;
// attributes named on* and URL-bearing attributes are refused, so run data can never become
// markup, a handler or a link.

type Child = Node | string | number | null | undefined | false;

export interface ElProps {
  class?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
}

const FORBIDDEN_ATTR = /^(on|href$|src$|srcdoc$|action$|formaction$|xlink:href$|style$)/i;

/** Creates an element with text-only content. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props?: ElProps, ...children: Child[]): HTMLElementTagNameMap[K];
export function el(tag: string, props?: ElProps, ...children: Child[]): HTMLElement;
export function el(tag: string, props: ElProps = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.title !== undefined) e.title = props.title;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) setAttr(e, k, v);
  if (props.text !== undefined) e.textContent = props.text;
  append(e, ...children);
  return e;
}

function setAttr(e: Element, name: string, value: string): void {
  if (FORBIDDEN_ATTR.test(name)) throw new Error(`attribute ${name} is not allowed`);
  e.setAttribute(name, value);
}

function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function fmtNum(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`;
}
