import { access } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { CasePrompt } from '../../protocol/results';
import { readLines } from '../validate/lineReader';
import type { RunJson } from './runs';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function turns(v: unknown): { role: string; content: string }[] {
  if (typeof v === 'string') return [{ role: 'user', content: v }];
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((t) => ({ role: s(t.role) ?? 'user', content: s(t.content) ?? JSON.stringify(t.content ?? '') }));
}

/** The prompt snapshot entries of run.json keyed by test id (it may hold a list or a map). */
export function snapshotEntries(json: RunJson | null): Map<string, Obj> {
  const out = new Map<string, Obj>();
  const p = (json as Obj | null)?.prompts;
  if (Array.isArray(p)) {
    for (const e of p) if (isObj(e)) { const id = s(e.test_id) ?? s(e.id); if (id) out.set(id, e); }
  } else if (isObj(p)) {
    for (const [id, e] of Object.entries(p)) if (isObj(e)) out.set(id, e);
  }
  return out;
}

/** Text the free-text filter searches per test id: system prompt and every turn. */
export function searchablePrompts(entries: Map<string, Obj>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, e] of entries) {
    const p = casePromptFrom(e, null);
    out[id] = [p.system ?? '', ...p.conversation.map((t) => t.content)].join('\n');
  }
  return out;
}

/**
 * A case's prompt as it was sent. When the snapshot records the rendered messages per persona
 * (`messages` or `sent[persona]`), those win: that is what the model actually saw.
 */
export function casePromptFrom(e: Obj, persona: string | null): CasePrompt {
  const sent = persona && isObj(e.sent) ? e.sent[persona] : undefined;
  const messages = Array.isArray(sent) ? sent : isObj(sent) && Array.isArray(sent.messages) ? sent.messages : Array.isArray(e.messages) ? e.messages : null;
  if (messages) {
    const all = turns(messages);
    const system = all.filter((t) => t.role === 'system').map((t) => t.content).join('\n\n') || null;
    return { system, conversation: all.filter((t) => t.role !== 'system'), expected_safe_behavior: s(e.expected_safe_behavior), attack_notes: s(e.attack_notes) };
  }
  return {
    system: s(e.system_prompt) ?? s(e.persona_system_prompt),
    conversation: turns(e.conversation),
    expected_safe_behavior: s(e.expected_safe_behavior),
    attack_notes: s(e.attack_notes),
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The dataset file a row names, resolved from the run's own files only: against the working
 * folder run.json records, else the folder that holds `results/<run_id>`. Null when no such
 * file exists. The caller still decides whether the file may be opened (workspace only).
 */
export async function resolveDatasetFile(runDir: string, json: RunJson | null, dataset: string | null | undefined): Promise<string | null> {
  if (!dataset) return null;
  if (isAbsolute(dataset)) return (await exists(dataset)) ? dataset : null;
  const bases: string[] = [];
  for (const k of ['cwd', 'workdir', 'workspace', 'root']) {
    const v = (json as Obj | null)?.[k];
    if (typeof v === 'string' && isAbsolute(v)) bases.push(v);
  }
  bases.push(resolve(runDir, '..', '..'), resolve(runDir, '..'), runDir);
  for (const b of bases) {
    const p = join(b, dataset);
    if (await exists(p)) return p;
  }
  return null;
}

/** The case on a 1-based line of a JSONL dataset, as a prompt; null if it is not there. */
export async function readCaseLine(file: string, line: number): Promise<CasePrompt | null> {
  if (!file.endsWith('.jsonl') || line < 1) return null;
  for await (const ev of readLines(file)) {
    if (ev.line < line) continue;
    if (ev.kind !== 'line') return null;
    try {
      const v = JSON.parse(ev.text) as unknown;
      return isObj(v) ? casePromptFrom(v, null) : null;
    } catch {
      return null;
    }
  }
  return null;
}
