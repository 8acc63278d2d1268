import type { Case } from '../schemas/cases';
import type { ResultRow } from '../runFolder';
import { ProviderError, type ChatMessage } from '../providers/client';
import type { ProviderPool } from '../providers/pool';
import { parseVerdict, reaskMessage, type Scorer } from './scorer';

/** Re-asks after an invalid verdict, at most (so at most 3 judge calls per row). */
const MAX_JUDGE_REASKS = 2;

/** The judge fields of a row. */
export type JudgeFields = Pick<ResultRow, 'judge_json' | 'judge_status' | 'judge_model' | 'judge_error' | 'judge_raw' | 'judge_attempts' | 'judge_latency_ms'> & Partial<ResultRow>;

/**
 * Judges one row: asks, checks the verdict with the scorer's schema, re-asks quoting the error
 * (at most twice), then records the error. A failed verdict is never coerced into a score.
 * Throws only for `fatal` and `aborted` provider errors; anything else lands on the row.
 */
export async function judgeRow<V>(
  scorer: Scorer<V>,
  pool: ProviderPool,
  judgeSlug: string,
  row: ResultRow,
  c: Case,
  signal?: AbortSignal,
): Promise<JudgeFields> {
  const messages: ChatMessage[] = scorer.buildMessages(row, c);
  // A failed verdict has no score and no stance (keys present, null), and re-judging a grid row
  // must not leave the previous score standing.
  const clearGrid = { score: null, stance: null };
  let latency = 0;
  let lastText = '';
  let lastError = '';
  for (let ask = 0; ask <= MAX_JUDGE_REASKS; ask++) {
    let text: string;
    try {
      const r = await pool.chat(judgeSlug, messages, signal);
      latency += r.latencyMs;
      text = r.text;
    } catch (err) {
      if (err instanceof ProviderError && (err.kind === 'fatal' || err.kind === 'aborted')) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      // A cancelled run aborts the judge's call: that is not the judge failing, and recording it
      // as a judge error would leave the key done without a verdict that a resume never asks for.
      if (signal?.aborted) throw new ProviderError('aborted', msg);
      return {
        judge_json: null, judge_status: 'error', judge_model: judgeSlug, judge_error: `judge call failed: ${msg}`,
        judge_raw: lastText || null, judge_attempts: ask + 1, judge_latency_ms: latency || null,
        overall: null, attack_success: null, safety_score: null, ...clearGrid,
      };
    }
    const parsed = parseVerdict(text, scorer.schema);
    if (parsed.ok) {
      return {
        judge_json: parsed.value as Record<string, unknown>, judge_status: 'ok', judge_model: judgeSlug, judge_error: null,
        judge_raw: null, judge_attempts: ask + 1, judge_latency_ms: latency, ...scorer.apply(parsed.value),
      };
    }
    lastText = text;
    lastError = parsed.error;
    messages.push({ role: 'assistant', content: text }, { role: 'user', content: reaskMessage(parsed.error, parsed.hint) });
  }
  return {
    judge_json: null, judge_status: 'error', judge_model: judgeSlug,
    judge_error: `invalid verdict after ${MAX_JUDGE_REASKS + 1} asks: ${lastError}`,
    judge_raw: lastText, judge_attempts: MAX_JUDGE_REASKS + 1, judge_latency_ms: latency,
    overall: null, attack_success: null, safety_score: null, ...clearGrid,
  };
}
