import { conversationTurns, type Case } from '../schemas/cases';
import { renderTemplate } from '../validate/placeholders';
import type { ChatMessage } from '../providers/client';
import type { ResolvedPersona } from './types';
import { resultKey, type ResultRow } from '../runFolder';

/** One line of the run's `cases.jsonl`: the case exactly as it was run, and where it came from. */
export interface SnapshotCase {
  dataset: string;
  line: number | null;
  case: Case;
}

/**
 * The messages sent to the model under test: the persona's system prompt (slug `default` is the
 * case's own `persona_system_prompt`; other templates may embed it), then the conversation.
 */
export function buildMessages(persona: ResolvedPersona, c: Case): ChatMessage[] {
  const system = renderTemplate(persona.systemPrompt, { persona_system_prompt: c.persona_system_prompt ?? '' }).trim();
  return [...(system ? [{ role: 'system' as const, content: system }] : []), ...conversationTurns(c)];
}

/** A row with every field set to "nothing yet" (every column present); the runner fills in what happened. */
export function baseRow(runId: string, snap: SnapshotCase, persona: string, modelSlug: string, modelName: string, startedAt: string): ResultRow {
  const c = snap.case;
  return {
    run_id: runId,
    test_id: c.id,
    category: c.category,
    subcategory: c.subcategory ?? '',
    persona_slug: persona,
    model_slug: modelSlug,
    started_at: startedAt,
    completed_at: startedAt,
    raw_candidate: null,
    judge_json: null,
    attack_success: null,
    overall: null,
    safety_score: null,
    error: null,
    key: resultKey(c.id, persona, modelSlug),
    dataset: snap.dataset,
    dataset_line: snap.line,
    model: modelName,
    judge_status: 'pending',
    judge_model: null,
    judge_error: null,
    judge_raw: null,
    judge_attempts: 0,
    attempts: 0,
    latency_ms: null,
    judge_latency_ms: null,
    group_id: c.group_id ?? null,
    perspective: c.perspective ?? null,
    // Every row carries every column (null where there is no value), whatever happens to it.
    score: null,
    stance: null,
  };
}
