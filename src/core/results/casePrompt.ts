import { access } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { CasePrompt } from '../../shared/protocol';
import { CaseSchema, type Case } from '../schemas/cases';
import { buildMessages } from '../run/plan';
import type { ResolvedPersona } from '../run/config';
import { readLines } from '../validate/lineReader';
import { RUN_FILES, type RunJson } from '../runFolder';

/** Cases as the run recorded them (its `cases.jsonl`), by test id. */
export type CaseSnapshot = Map<string, Case>;

/**
 * Reads a run's `cases.jsonl` (`{"dataset", "line", "case"}` per line). A missing file gives an
 * empty map; lines that are not a valid case are skipped.
 */
export async function readCaseSnapshot(runDir: string, signal?: AbortSignal): Promise<CaseSnapshot> {
  const out: CaseSnapshot = new Map();
  const file = join(runDir, RUN_FILES.cases);
  try {
    await access(file);
  } catch {
    return out;
  }
  for await (const ev of readLines(file, signal ? { signal } : {})) {
    if (ev.kind !== 'line' || !ev.text.trim()) continue;
    try {
      const parsed = CaseSchema.safeParse((JSON.parse(ev.text) as { case?: unknown }).case);
      if (parsed.success) out.set(parsed.data.id, parsed.data);
    } catch { /* not JSON: skip */ }
  }
  return out;
}

/** The persona templates the run used, by slug. */
export function runPersonas(json: RunJson | undefined): Map<string, ResolvedPersona> {
  const out = new Map<string, ResolvedPersona>();
  for (const p of json?.config?.personas ?? []) {
    if (typeof p.systemPrompt === 'string') out.set(p.slug, { slug: p.slug, name: p.name ?? p.slug, systemPrompt: p.systemPrompt });
  }
  for (const [slug, p] of Object.entries(json?.prompts?.personas ?? {})) {
    if (!out.has(slug) && typeof p.system_prompt === 'string') out.set(slug, { slug, name: slug, systemPrompt: p.system_prompt });
  }
  return out;
}

/**
 * The prompt as the model under test received it: the persona's system prompt rendered over the
 * case (as the runner's buildMessages does), then the conversation. With no known persona
 * template, the case's own system prompt is shown (what the `default` persona sends).
 */
export function casePrompt(c: Case, persona: ResolvedPersona | undefined): CasePrompt {
  const messages = buildMessages(persona ?? { slug: 'default', name: 'default', systemPrompt: '{{persona_system_prompt}}' }, c);
  return {
    system: messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n') || null,
    conversation: messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content })),
    expected_safe_behavior: c.expected_safe_behavior ?? null,
    attack_notes: c.attack_notes || null,
  };
}

/** Text the free-text filter searches per test id: the case's system prompt and every turn. */
export function searchablePrompts(cases: CaseSnapshot): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, c] of cases) {
    const turns = typeof c.conversation === 'string' ? [c.conversation] : c.conversation.map((t) => t.content);
    out[id] = [c.persona_system_prompt ?? '', ...turns].join('\n');
  }
  return out;
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
 * Files the dataset a row names could be, from the run's own files only: the path as recorded
 * if absolute, else relative to the working folder run.json records, then to the folder that
 * holds `results/<run_id>` (a run folder copied elsewhere). Only files that exist, best first;
 * the caller still decides which may be opened (workspace only).
 */
export async function datasetCandidates(runDir: string, json: RunJson | undefined, dataset: string | null | undefined): Promise<string[]> {
  if (!dataset) return [];
  const paths = isAbsolute(dataset)
    ? [dataset]
    : [json?.config?.cwd, resolve(runDir, '..', '..')].filter((b): b is string => typeof b === 'string' && isAbsolute(b)).map((b) => resolve(b, dataset));
  const out: string[] = [];
  for (const p of new Set(paths)) if (await exists(p)) out.push(p);
  return out;
}

/** The first existing candidate of {@link datasetCandidates}, or null. */
export async function resolveDatasetFile(runDir: string, json: RunJson | undefined, dataset: string | null | undefined): Promise<string | null> {
  return (await datasetCandidates(runDir, json, dataset))[0] ?? null;
}

/** The case on a 1-based line of a JSONL dataset; null if that line is not a valid case. */
export async function readCaseLine(file: string, line: number): Promise<Case | null> {
  if (!file.endsWith('.jsonl') || line < 1) return null;
  for await (const ev of readLines(file)) {
    if (ev.line < line) continue;
    if (ev.kind !== 'line') return null;
    try {
      const parsed = CaseSchema.safeParse(JSON.parse(ev.text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
  return null;
}
