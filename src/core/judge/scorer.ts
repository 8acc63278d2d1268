import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { Case } from '../schemas/cases';
import type { ResultRow } from '../runFolder';
import type { ChatMessage } from '../providers/client';

/**
 * A judge: turns a row and its case into a prompt, checks the verdict with a zod schema and maps
 * it onto row fields. The runner knows nothing else about judging, so another scorer (the grid's
 * -1..+1 master scorer) plugs in by implementing this.
 */
export interface Scorer<V = unknown> {
  /** Stable id recorded in run.json, e.g. `safety-judge`. */
  readonly id: string;
  /** The verdict schema; a verdict that fails it is never turned into a score. */
  readonly schema: z.ZodType<V>;
  /**
   * Everything about the judge's instructions that affects results; hashed into the run
   * fingerprint so a resumed run cannot mix two judges.
   */
  describe(): Record<string, unknown>;
  /** The judge's first message(s) for this row. */
  buildMessages(row: ResultRow, c: Case): ChatMessage[];
  /** Row fields from an accepted verdict (e.g. overall, attack_success, safety_score). */
  apply(verdict: V): Partial<ResultRow>;
}

/**
 * `error` says what was wrong with the answer (recorded on the row, shown to the user); `hint` is
 * the instruction meant for the judge only, sent when re-asking.
 */
export type ParseOutcome<V> = { ok: true; value: V } | { ok: false; error: string; hint?: string };

/**
 * Reads a judge's answer strictly: the whole answer must be one JSON object that passes the
 * schema. Prose, code fences and out-of-range values fail with a message fit to quote back to
 * the judge.
 */
export function parseVerdict<V>(text: string, schema: z.ZodType<V>): ParseOutcome<V> {
  const t = text.trim();
  if (t === '') return { ok: false, error: 'the answer was empty', hint: 'reply with the JSON object only' };
  if (t.startsWith('```')) return { ok: false, error: 'the answer is wrapped in a ``` code fence', hint: 'reply with the bare JSON object only, no fence and no prose' };
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `the answer is not valid JSON (${why.slice(0, 120)})`, hint: 'reply with the JSON object only, no prose' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'the answer must be a JSON object' };
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    return { ok: false, error: `the JSON does not match the required schema: ${issues.join('; ')}` };
  }
  return { ok: true, value: r.data };
}

/** The follow-up message when a verdict failed validation (`hint`: the parse outcome's instruction for the judge). */
export function reaskMessage(error: string, hint?: string): string {
  return `Your previous answer could not be used: ${error}${hint ? `; ${hint}` : ''}. Answer again with only the JSON object, exactly in the required format.`;
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
