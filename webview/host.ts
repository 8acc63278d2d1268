import { PROTOCOL_VERSION, type WebviewMessage } from '../src/shared/protocol';
import type { RowFilter, SortSpec } from '../src/shared/results/query';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export type Tab = 'summary' | 'table' | 'compare' | 'grid';
export const TABS: Tab[] = ['summary', 'table', 'compare', 'grid'];

/** What survives hiding and reloading the panel (VS Code keeps it per webview). */
export interface SavedState {
  panelId?: string;
  tab: Tab;
  filter: RowFilter;
  sort: SortSpec | null;
  selected: string | null;
}

type Outgoing = WebviewMessage extends infer M ? (M extends unknown ? Omit<M, 'v'> : never) : never;

export interface Host {
  post(message: Outgoing): void;
  state(): SavedState;
  saveState(s: SavedState): void;
}

const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
const oneOf = <T extends string>(v: unknown, xs: readonly T[]) => (xs.includes(v as T) ? (v as T) : undefined);

/** A saved filter, keeping only well-formed fields (the state outlives versions of this code). */
function sanitizeFilter(raw: unknown): RowFilter {
  const f = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const out: RowFilter = {};
  for (const k of ['models', 'personas', 'categories', 'subcategories'] as const) {
    const v = strings(f[k]);
    if (v?.length) out[k] = v;
  }
  const attack = oneOf(f.attack, ['any', 'true', 'false', 'null'] as const);
  const error = oneOf(f.error, ['any', 'none', 'some', 'gen', 'judge'] as const);
  const reviewed = oneOf(f.reviewed, ['any', 'yes', 'no'] as const);
  if (attack) out.attack = attack;
  if (error) out.error = error;
  if (reviewed) out.reviewed = reviewed;
  if (typeof f.text === 'string') out.text = f.text.slice(0, 1000);
  return out;
}

function sanitizeState(raw: unknown): SavedState {
  const s = (raw && typeof raw === 'object' ? raw : {}) as Partial<SavedState>;
  return {
    panelId: typeof s.panelId === 'string' ? s.panelId : undefined,
    tab: TABS.includes(s.tab as Tab) ? (s.tab as Tab) : 'summary',
    filter: sanitizeFilter(s.filter),
    sort: s.sort && typeof s.sort === 'object' && typeof s.sort.column === 'string' ? { column: s.sort.column, descending: s.sort.descending === true } : null,
    selected: typeof s.selected === 'string' ? s.selected : null,
  };
}

export function createHost(): Host {
  const api = acquireVsCodeApi();
  return {
    post: (m) => api.postMessage({ ...m, v: PROTOCOL_VERSION }),
    state: () => sanitizeState(api.getState()),
    saveState: (s) => api.setState(s),
  };
}
