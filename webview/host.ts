import { PROTOCOL_VERSION, type WebviewMessage } from '../src/protocol/results';
import type { RowFilter, SortSpec } from '../src/core/results/query';

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

function sanitizeState(raw: unknown): SavedState {
  const s = (raw && typeof raw === 'object' ? raw : {}) as Partial<SavedState>;
  return {
    panelId: typeof s.panelId === 'string' ? s.panelId : undefined,
    tab: TABS.includes(s.tab as Tab) ? (s.tab as Tab) : 'summary',
    filter: s.filter && typeof s.filter === 'object' ? s.filter : {},
    sort: s.sort && typeof s.sort === 'object' && typeof s.sort.column === 'string' ? s.sort : null,
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
