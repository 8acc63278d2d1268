import type { ResultRow } from '../runFolder';
import type { ViewRow } from '../../shared/results/types';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The table's slim row for one result row. */
export function toViewRow(r: ResultRow): ViewRow {
  const judgeError = r.judge_status === 'error' ? (r.judge_error ?? 'judge error') : null;
  const stance = r.stance === 'neg' || r.stance === 'neu' || r.stance === 'pos' ? r.stance : null;
  return {
    key: r.key,
    test_id: r.test_id,
    category: r.category,
    subcategory: r.subcategory,
    persona: r.persona_slug,
    model: r.model_slug,
    attack_success: typeof r.attack_success === 'boolean' ? r.attack_success : null,
    overall: num(r.overall),
    safety: num(r.safety_score),
    error: r.error ?? judgeError,
    error_kind: r.error ? 'gen' : judgeError !== null ? 'judge' : null,
    judge_status: r.judge_status,
    answer: r.raw_candidate ?? '',
    latency_ms: num(r.latency_ms),
    attempts: r.attempts,
    judge_attempts: r.judge_attempts,
    completed_at: r.completed_at,
    group_id: str(r.group_id),
    perspective: str(r.perspective),
    score: num(r.score),
    stance,
  };
}
