import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExpectedError } from '../errors';
import { chooseRows, chosenRows } from '../export/report';
import { gridSidesFromSnapshot, type GridSides } from '../grid/report';
import { PartialsCorruptError } from '../runFolder';
import { rowIsDone } from '../runFolder';
import { scanJsonl } from '../storage/jsonlScan';
import { RUN_FILES, readRunJson, type RunJson } from '../runFolder';
import type { ResultRow } from '../runFolder';

/**
 * Where a row stands for a comparison. Only `ok` rows carry a verdict; every other state is
 * counted and shown, never read as safe.
 */
export type RowState = 'ok' | 'error' | 'judge_error' | 'unscored';

/** The part of a result row a comparison needs (the answers and judge JSON stay on disk). */
export interface CompareRow {
  key: string;
  test_id: string;
  model: string;
  persona: string;
  category: string;
  state: RowState;
  attack: boolean | null;
  overall: number | null;
  safety: number | null;
  /** Grid runs: the master scorer's score, the case's group and perspective. */
  score: number | null;
  group_id: string | null;
  perspective: string | null;
  judge_model: string | null;
  /** Generation or judge error text (first 300 characters). */
  error: string | null;
}

/** The judge as a run recorded it: model(s) and what identifies its prompt. */
interface JudgeInfo {
  /** Judge model slugs: run.json's judge, and every judge model named on a row. */
  models: string[];
  /** Scorer ids (e.g. `safety-judge`) from run.json's judge record and scoring passes. */
  scorers: string[];
  /** A stable text of the judge's prompt identity (scorer id and prompt hashes); null when not recorded. */
  prompt: string | null;
}

/** One side of a comparison: a run (or the slice of a run) with its rows by key. */
export interface RunSide {
  /** What the user named (a folder, or `RUN (model A)`). */
  label: string;
  runId: string;
  dir: string | null;
  rows: Map<string, CompareRow>;
  /** sha256 of each case's text as the run's snapshot recorded it, by test id (empty: unknown). */
  caseHashes: Map<string, string>;
  judge: JudgeInfo;
  /** Grid runs: which perspectives are side a and side b. */
  grid: GridSides | null;
}

/** A run folder that cannot be compared (missing, no rows, a corrupt line): exit code 2. */
export class CompareDataError extends ExpectedError {
  override name = 'CompareDataError';
}

/** Sorted-key JSON, so a snapshot hash does not depend on key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** sha256 of a case's content (sorted keys), as compared between two runs' snapshots. */
function caseHash(c: unknown): string {
  return createHash('sha256').update(canonical(c)).digest('hex');
}

/** Reads `cases.jsonl` (`{"dataset", "line", "case"}` per line): case hash by test id. */
function readCaseHashes(runDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of [RUN_FILES.cases]) {
    const file = join(runDir, name);
    if (!existsSync(file)) continue;
    for (const l of scanJsonl(file)) {
      if (!l.terminated || !l.text.trim()) continue;
      try {
        const c = (JSON.parse(l.text) as { case?: { id?: unknown } }).case;
        if (c && typeof c.id === 'string') out.set(c.id, caseHash(c));
      } catch { /* not a snapshot line: that case is simply unknown */ }
    }
  }
  return out;
}

function clip(s: string | null | undefined, n = 300): string | null {
  if (s === null || s === undefined) return null;
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** A result row reduced to what a comparison reads; its state decides whether it has a verdict. */
function toCompareRow(r: ResultRow): CompareRow {
  // A row without judge_status (the original Python runner's own format) with a boolean verdict counts as judged.
  const judged = r.judge_status === 'ok' || (r.judge_status == null && typeof r.attack_success === 'boolean');
  const state: RowState = !rowIsDone(r) ? 'error' : r.judge_status === 'error' ? 'judge_error' : judged ? 'ok' : 'unscored';
  const ok = state === 'ok';
  return {
    key: r.key,
    test_id: r.test_id,
    model: r.model_slug,
    persona: r.persona_slug,
    category: r.category,
    state,
    attack: ok && typeof r.attack_success === 'boolean' ? r.attack_success : null,
    overall: ok ? num(r.overall) : null,
    safety: ok ? num(r.safety_score) : null,
    score: ok ? num(r.score) : null,
    group_id: r.group_id ?? null,
    perspective: r.perspective ?? null,
    judge_model: r.judge_model ?? null,
    error: state === 'error' ? clip(r.error) : state === 'judge_error' ? clip(r.judge_error ?? 'judge failed') : null,
  };
}

/** The judge's identity from run.json: its model, and its prompt (scorer id and prompt hashes). */
function judgeFromRunJson(json: Pick<RunJson, 'prompts' | 'fingerprint' | 'scoring'> | undefined): JudgeInfo {
  const models = new Set<string>();
  const pj = json?.prompts?.judge ?? null;
  if (pj && typeof pj.model === 'string') models.add(pj.model);
  const fj = json?.fingerprint?.judge;
  if (fj && typeof fj.slug === 'string') models.add(fj.slug);
  const scorers = new Set<string>();
  if (pj && typeof pj.id === 'string') scorers.add(pj.id);
  for (const s of json?.scoring ?? []) {
    if (typeof s?.judge_model === 'string') models.add(s.judge_model);
    if (typeof s?.scorer === 'string') scorers.add(s.scorer);
  }
  let prompt: string | null = null;
  if (pj) {
    const { model: _m, ...rest } = pj;
    prompt = canonical(rest);
  }
  if (fj && fj.scorer && typeof fj.scorer === 'object') prompt = canonical({ prompts: prompt, scorer: fj.scorer });
  return { models: [...models].sort(), scorers: [...scorers].sort(), prompt };
}

/**
 * Loads a run folder for comparison: each key's latest row as `awb report` chooses it (the last
 * row without a generation error, else the last), the case snapshot's hashes and the judge.
 */
export function loadRunSide(runDir: string, label = runDir): RunSide {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new CompareDataError(`run folder not found: ${label}`);
  const partials = join(runDir, RUN_FILES.partials);
  if (!existsSync(partials)) throw new CompareDataError(`${label}: no ${RUN_FILES.partials} (not a run folder, or a run that never started)`);
  let json: RunJson | undefined;
  try {
    json = readRunJson(runDir);
  } catch (err) {
    throw new CompareDataError(`${label}: run.json is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const rows = new Map<string, CompareRow>();
  try {
    const { chosen } = chooseRows(partials);
    for (const r of chosenRows(partials, chosen)) rows.set(r.key, toCompareRow(r));
  } catch (err) {
    if (err instanceof PartialsCorruptError) throw new CompareDataError(err.message);
    throw err;
  }
  const judge = judgeFromRunJson(json);
  for (const r of rows.values()) if (r.state === 'ok' && r.judge_model && !judge.models.includes(r.judge_model)) judge.models.push(r.judge_model);
  judge.models.sort();
  const g = gridSidesFromSnapshot({ grid: json?.grid });
  return {
    label,
    runId: json?.run_id ?? runDir.split(/[\\/]/).filter(Boolean).pop() ?? runDir,
    dir: runDir,
    rows,
    caseHashes: readCaseHashes(runDir),
    judge,
    grid: g?.sides ?? null,
  };
}

/** Which dimension `--by` compares within one run. */
export type ByDimension = 'model' | 'persona';

/**
 * Two sides from one run: the rows of `a` and of `b` along a dimension (two models, or two
 * personas). Both sides are re-keyed onto the other dimensions (`test_id|persona|A→B` for models)
 * so rows pair up, and share the run's case snapshot and judge.
 */
export function splitBy(side: RunSide, by: ByDimension, a: string, b: string): [RunSide, RunSide] {
  const label = `${a} → ${b}`;
  const pick = (v: string): RunSide => {
    const rows = new Map<string, CompareRow>();
    for (const r of side.rows.values()) {
      if ((by === 'model' ? r.model : r.persona) !== v) continue;
      const model = by === 'model' ? label : r.model;
      const persona = by === 'persona' ? label : r.persona;
      const key = `${r.test_id}|${persona}|${model}`;
      rows.set(key, { ...r, key, model, persona });
    }
    if (rows.size === 0) {
      const seen = [...new Set([...side.rows.values()].map((r) => (by === 'model' ? r.model : r.persona)))].sort();
      throw new CompareDataError(`${side.label}: no rows of ${by} "${v}" (the run has: ${seen.join(', ') || 'no rows'})`);
    }
    return { ...side, label: `${side.label} (${by} ${v})`, rows };
  };
  return [pick(a), pick(b)];
}
