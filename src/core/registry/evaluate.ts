import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256File } from './cards';
import { NotFoundError, type EvaluationResult, type Metrics, type Registry } from './model';

/** Scores one model output, 0..1. */
type ScoringFunction = (output: unknown, index: number) => number | Promise<number>;

export interface Scorer {
  /** Recorded with each result, e.g. `field:score` or `module:/abs/scorer.mjs`. */
  name: string;
  score: ScoringFunction;
}

function valueAtPath(output: unknown, path: readonly string[]): unknown {
  let v = output;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** aumai-alignment's rule for a score value: a number clamped to 0..1, `true` 1, `false` 0, anything else 0.5. */
export function scoreValue(v: unknown): number {
  if (v === true) return 1;
  if (v === false) return 0;
  if (typeof v !== 'number' || Number.isNaN(v)) return 0.5;
  return Math.min(1, Math.max(0, v));
}

/** Reads a field (dot path, e.g. `overall` or `judge_json.safety.score`) with aumai-alignment's default rule. */
function fieldScorer(field = 'score'): Scorer {
  const path = field.split('.');
  return { name: `field:${field}`, score: (output) => scoreValue(valueAtPath(output, path)) };
}

/** aumai-alignment's default scorer: each output's `score`. */
const defaultScorer: Scorer = fieldScorer('score');

/**
 * `--scorer` as given on the command line: a path to a `.js`/`.mjs`/`.cjs` module (its default
 * export, or an export named `score`, is called with each output) or else a field name.
 */
export async function resolveScorer(spec: string | undefined, cwd: string): Promise<Scorer> {
  if (!spec) return defaultScorer;
  if (!/[\\/]/.test(spec) && !/\.[cm]?js$/i.test(spec)) return fieldScorer(spec);
  const file = resolve(cwd, spec);
  // A real dynamic import (not rewritten to require by the bundler), so .mjs scorers load too.
  const importer = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;
  const mod = await importer(pathToFileURL(file).href);
  const fn = [mod.default, mod.score, (mod.default as Record<string, unknown> | undefined)?.score].find((f) => typeof f === 'function') as ScoringFunction | undefined;
  if (!fn) throw new Error(`${spec}: exports no scoring function (export default function, or export function score)`);
  return {
    name: `module:${file}`,
    score: async (output, i) => {
      const s = await fn(output, i);
      if (typeof s !== 'number' || Number.isNaN(s)) throw new Error(`${spec} returned ${JSON.stringify(s)} for output ${i}; a scorer must return a number`);
      return Math.min(1, Math.max(0, s));
    },
  };
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** aumai-alignment's aggregate: mean (4 decimals) as the score, with mean/min/max and sample count; none gives 0. */
export function aggregateScores(scores: readonly number[]): { score: number; metrics: Metrics } {
  if (scores.length === 0) return { score: 0, metrics: { mean_score: 0, min_score: 0, max_score: 0, sample_count: 0 } };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) { sum += s; if (s < min) min = s; if (s > max) max = s; }
  const mean = round4(sum / scores.length);
  return { score: mean, metrics: { mean_score: mean, min_score: min, max_score: max, sample_count: scores.length } };
}

/**
 * aumai-alignment's `EvaluationRunner.evaluate`: scores each output, aggregates, and records the result
 * in the dataset's history with the data hash it was registered with. An unknown id is an error.
 */
export async function evaluateOutputs(
  registry: Registry,
  opts: { datasetId: string; outputs: readonly unknown[]; modelName?: string; scorer?: Scorer },
): Promise<EvaluationResult> {
  const listing = await registry.get(opts.datasetId);
  if (!listing) throw new NotFoundError(opts.datasetId);
  const scorer = opts.scorer ?? defaultScorer;
  const scores: number[] = [];
  for (let i = 0; i < opts.outputs.length; i++) scores.push(await scorer.score(opts.outputs[i], i));
  const { score, metrics } = aggregateScores(scores);
  const [saved] = await registry.addEvaluations([{
    dataset_id: opts.datasetId,
    model_name: opts.modelName || 'unknown',
    score,
    metrics,
    evaluated_at: new Date().toISOString(),
    data_sha256: listing.sha256,
    scorer: scorer.name,
  }]);
  return saved!;
}

/** The fields of a run's result row (src/core/runFolder/row.ts `ResultRow`) that history needs. */
export interface RunRowLike {
  model_slug: string;
  persona_slug: string;
  overall: number | null;
  safety_score: number | null;
  attack_success: boolean | null;
  error: string | null;
  judge_status?: string;
  judge_model?: string | null;
  completed_at?: string;
  dataset?: string;
}

export interface RecordRunOptions {
  runId: string;
  /** The run's folder, `results/{run_id}` (kept so history can open it). */
  runDir: string;
  /** sha256 of the data file the rows ran on; computed from `datasetPath` when absent. */
  datasetSha256?: string;
  /** Absolute path of the data file; also matches datasets registered from that path. */
  datasetPath?: string;
  /** Only rows whose `dataset` equals this are used (a run over several datasets). */
  rowDataset?: string;
  rows: readonly RunRowLike[];
  /** Judge model; defaults to the rows' `judge_model`. */
  judge?: string;
}

/**
 * Records a run in the history of every registered dataset whose data it ran on (matched by sha256,
 * else by data path): one result per model × persona. Score = mean `overall` of judged rows; metrics
 * add attack_success_rate, mean_safety, errors and aumai-alignment's mean/min/max/sample_count. Groups whose
 * rows are all still pending (score later) are skipped; call again after scoring. Recording the
 * same run again replaces its earlier results. Returns what was recorded (empty if not registered).
 */
export async function recordRunEvaluations(registry: Registry, opts: RecordRunOptions): Promise<EvaluationResult[]> {
  const sha256 = opts.datasetSha256 ?? (opts.datasetPath ? await sha256File(opts.datasetPath) : undefined);
  const dataPath = opts.datasetPath ? resolve(opts.datasetPath) : undefined;
  const ids = (await registry.search({})).filter((l) => (sha256 && l.sha256 === sha256) || (dataPath && l.data_path === dataPath)).map((l) => l.dataset.dataset_id);
  if (ids.length === 0) return [];
  const rows = opts.rowDataset === undefined ? opts.rows : opts.rows.filter((r) => r.dataset === opts.rowDataset);
  const groups = new Map<string, RunRowLike[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.model_slug, r.persona_slug]);
    const g = groups.get(k);
    if (g) g.push(r); else groups.set(k, [r]);
  }
  const results: Omit<EvaluationResult, 'id'>[] = [];
  for (const group of groups.values()) {
    const summary = summarizeRunRows(group);
    if (!summary) continue;
    const first = group[0]!;
    for (const id of ids) {
      results.push({
        dataset_id: id, model_name: first.model_slug, persona: first.persona_slug, score: summary.score, metrics: summary.metrics,
        evaluated_at: summary.evaluatedAt, run_id: opts.runId, run_dir: resolve(opts.runDir), judge: opts.judge ?? summary.judge,
        data_sha256: sha256 ?? null, scorer: 'run:overall',
      });
    }
  }
  return registry.addEvaluations(results);
}

/** One model × persona group of rows → score and metrics; undefined when nothing is judged or failed yet. */
function summarizeRunRows(rows: readonly RunRowLike[]): { score: number; metrics: Metrics; evaluatedAt: string; judge: string | null } | undefined {
  const judged = rows.filter((r) => r.error === null && r.judge_status !== 'error' && typeof r.overall === 'number');
  const errors = rows.filter((r) => r.error !== null || r.judge_status === 'error').length;
  const pending = rows.filter((r) => r.judge_status === 'pending' && r.error === null).length;
  if (judged.length === 0 && errors === 0) return undefined;
  const { score, metrics } = aggregateScores(judged.map((r) => r.overall as number));
  const attacks = judged.filter((r) => r.attack_success !== null);
  const safety = judged.filter((r) => typeof r.safety_score === 'number');
  const extra: Record<string, number> = { errors };
  if (attacks.length > 0) extra.attack_success_rate = round4(attacks.filter((r) => r.attack_success).length / attacks.length);
  if (safety.length > 0) extra.mean_safety = round4(safety.reduce((s, r) => s + (r.safety_score as number), 0) / safety.length);
  if (pending > 0) extra.pending = pending;
  // The latest completion time, so recording the same rows again gives the same result.
  const times = rows.map((r) => Date.parse(r.completed_at ?? '')).filter((t) => Number.isFinite(t));
  return {
    score,
    metrics: { ...metrics, ...extra },
    evaluatedAt: new Date(times.length > 0 ? times.reduce((a, b) => (b > a ? b : a)) : Date.now()).toISOString(),
    judge: rows.find((r) => r.judge_model)?.judge_model ?? null,
  };
}
