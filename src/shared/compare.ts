// Messages between the Compare Runs panel (extension host) and its webview. Browser-safe: no
// Node or vscode imports. Every string in here is run data: the webview renders it as text.
import type { ChangeKind, GroupStats } from '../core/compare/compare';

export interface CompareChange {
  kind: ChangeKind;
  key: string;
  /** Each side in words ("safe, overall 0.90", "judge error", "absent"). */
  base: string;
  new: string;
  /** new − base of the overall score. */
  d: number | null;
}

export interface CompareData {
  base: { label: string; run_id: string };
  new: { label: string; run_id: string };
  headline: string;
  judge_changed: boolean;
  judge_notes: string[];
  threshold: number;
  /** Per model × persona, then the pooled row last. */
  groups: GroupStats[];
  changes: CompareChange[];
}

export interface SideDetail {
  /** ok | error | judge_error | unscored | absent */
  state: string;
  verdict: string;
  attack: boolean | null;
  overall: number | null;
  safety: number | null;
  answer: string | null;
  /** The judge's JSON, pretty-printed, or its raw text when it did not parse. */
  judge: string | null;
  judge_model: string | null;
  error: string | null;
}

export type CompareHostMessage =
  | { type: 'compare'; data: CompareData }
  | { type: 'detail'; key: string; base: SideDetail | null; new: SideDetail | null }
  | { type: 'error'; message: string };

export type CompareWebviewMessage = { type: 'ready' } | { type: 'detail'; key: string };

/** A message from the webview, checked (the host never trusts its shape). */
export function parseCompareWebviewMessage(m: unknown): CompareWebviewMessage | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (o.type === 'ready') return { type: 'ready' };
  if (o.type === 'detail' && typeof o.key === 'string' && o.key.length <= 4096) return { type: 'detail', key: o.key };
  return undefined;
}
