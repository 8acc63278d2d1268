import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ExpectedError } from '../errors';
import { redact } from '../log';
import { writeFileAtomicSync } from '../storage/atomic';
import type { Grid } from '../schemas/grid';
// Type-only: run.json stores the runner's resolved configuration and fingerprint as they are.
import type { Fingerprint, ResolvedGrid, ResolvedRunConfig, StoredInput } from '../run/types';
import { RUN_FILES } from './names';

import type { RunStatus } from '../../shared/results/types';

export type { RunStatus };

export interface RunCounts {
  /** Keys in the plan: cases × personas × models. */
  total: number;
  /**
   * Keys whose generation succeeded (score later), or that are judged (score now: an answer still
   * waiting for its judge is not done, it is counted in `judge_pending`).
   */
  done: number;
  /** Keys whose latest attempt failed (they run again on resume). */
  errors: number;
  /** Done keys whose judge failed (invalid verdict or judge call error). */
  judge_errors: number;
  /** Answers not scored yet: done keys of a score-later run; answers waiting for the judge of a score-now run. */
  judge_pending: number;
}

/**
 * The status of a run that ended normally: `complete` only when every key has an answer and a
 * verdict (or is waiting for `awb score` because the run asked for `score: later`). Judge errors
 * and answers left unjudged in a score-now run make it `partial`.
 */
export function finishedStatus(c: RunCounts, scoreLater: boolean): 'complete' | 'partial' {
  return c.done >= c.total && c.errors === 0 && c.judge_errors === 0 && (scoreLater || c.judge_pending === 0) ? 'complete' : 'partial';
}

/** `run.json`: the resolved config, the prompts used, the fingerprint and the last known counts. */
export interface RunJson {
  format: 1;
  run_id: string;
  created_at: string;
  updated_at: string;
  status: RunStatus;
  status_reason?: string;
  config: Omit<ResolvedRunConfig, 'dryRun' | 'grid'> & { grid?: Omit<ResolvedGrid, 'spec'> };
  /** Grid runs: the parsed grid (sides, axis, stance thresholds, scorer) the run was made with. */
  grid?: Grid;
  input: StoredInput;
  fingerprint: Fingerprint;
  fingerprint_sha256: string;
  datasets: { path: string; sha256: string; cases: number }[];
  prompts: {
    personas: Record<string, { name: string; system_prompt: string }>;
    judge: Record<string, unknown> | null;
  };
  counts: RunCounts;
  /** Every scoring pass (`awb run` with score now, or `awb score`). */
  scoring: { judge_model: string; scorer: string; at: string; scored: number; errors: number }[];
  /** How to continue this run from the command line. */
  resume_command: string;
  /** A shard of a sharded run (`awb run --shard I/N`): which one, and what it owns. */
  shard?: ShardRecord;
  /** A run put together by `awb merge`: its shards' provenance and what is still missing. */
  merge?: MergeRecord;
}

/** Optional, and a value of another shape reads as absent instead of failing the whole file. */
const opt = <T extends z.ZodType>(t: T) => t.optional().catch(undefined);

/**
 * What readers check of a `run.json`. Lenient on purpose: a folder written by hand, by an older
 * version or cut short still opens; a field of another shape than the runner writes is dropped,
 * so every reader treats a field as possibly absent. Fields not listed pass through unchecked.
 */
const RunJsonSchema = z.looseObject({
  format: opt(z.number()),
  run_id: opt(z.string()),
  created_at: opt(z.string()),
  updated_at: opt(z.string()),
  status: opt(z.string()),
  status_reason: opt(z.string()),
  config: opt(z.looseObject({
    cwd: opt(z.string()),
    datasets: opt(z.array(z.string())),
    benchFile: opt(z.string()),
    modelsFile: opt(z.string()),
    grid: opt(z.looseObject({ file: opt(z.string()) })),
    models: opt(z.array(z.looseObject({ slug: z.string() }))),
    personas: opt(z.array(z.looseObject({ slug: z.string(), name: opt(z.string()), systemPrompt: opt(z.string()) }))),
    judge: opt(z.looseObject({ slug: z.string() })),
    score: opt(z.enum(['now', 'later'])),
    concurrency: opt(z.number()),
  })),
  grid: opt(z.looseObject({})),
  input: opt(z.looseObject({})),
  fingerprint: opt(z.looseObject({})),
  fingerprint_sha256: opt(z.string()),
  datasets: opt(z.array(z.looseObject({ path: z.string(), sha256: opt(z.string()) }))),
  prompts: opt(z.looseObject({ personas: opt(z.record(z.string(), z.looseObject({ system_prompt: opt(z.string()) }))) })),
  counts: opt(z.looseObject({ total: opt(z.number()), done: opt(z.number()), errors: opt(z.number()), judge_errors: opt(z.number()), judge_pending: opt(z.number()) })),
  scoring: opt(z.array(z.looseObject({ judge_model: opt(z.string()) }))),
  resume_command: opt(z.string()),
  shard: opt(z.looseObject({ index: z.number(), count: z.number(), plan_sha256: opt(z.string()) })),
  merge: opt(z.looseObject({ count: z.number(), missing_keys: opt(z.number()) })),
});

/**
 * A run.json that says so and could not be read: not JSON, or not an object. (A missing one is
 * not an error: the folder may be a run cut short before it wrote it.)
 */
class RunJsonError extends ExpectedError {
  override name = 'RunJsonError';
}

/**
 * The one reader of `run.json`: undefined when the folder has none; a RunJsonError when it is
 * not a JSON object. The result has the runner's shape as far as the file holds it (see
 * RunJsonSchema): fields may be absent in a folder the runner did not write whole.
 */
export function readRunJson(runDir: string): RunJson | undefined {
  const file = join(runDir, RUN_FILES.runJson);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunJsonError(`${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RunJsonError(`${file} is not valid JSON (${(err as Error).message})`);
  }
  const parsed = RunJsonSchema.safeParse(json);
  if (!parsed.success) throw new RunJsonError(`${file} is not a run description (a JSON object)`);
  return parsed.data as unknown as RunJson;
}

/** readRunJson for views and listings: a missing or unreadable run.json is simply not shown. */
export function readRunJsonIfAny(runDir: string): RunJson | undefined {
  try {
    return readRunJson(runDir);
  } catch {
    return undefined;
  }
}

/** Writes run.json atomically, redacted (a base URL could carry credentials). */
export function writeRunJson(runDir: string, data: RunJson, secrets: Iterable<string> = []): void {
  writeFileAtomicSync(join(runDir, RUN_FILES.runJson), redact(JSON.stringify(data, null, 2), secrets) + '\n');
}

/**
 * Overwrites run.json in place (not atomic): the fallback when the atomic write fails because the
 * disk is full, so the run's final status is still recorded; truncating frees the old blocks first.
 */
export function writeRunJsonInPlace(runDir: string, data: RunJson, secrets: Iterable<string> = []): void {
  writeFileSync(join(runDir, RUN_FILES.runJson), redact(JSON.stringify(data, null, 2), secrets) + '\n');
}

export interface ShardRecord {
  index: number;
  count: number;
  /** The plan's fingerprint sha256 the split was computed from (run.json `fingerprint_sha256`). */
  plan_sha256: string;
  /** `case` or `group` (grid runs). */
  unit: 'case' | 'group';
  /** How the split is made, in words. */
  rule: string;
  /** Units (cases or groups), cases and keys this shard owns, and of the whole plan. */
  units: number;
  cases: number;
  keys: number;
  plan_units: number;
  plan_cases: number;
  plan_keys: number;
  /** sha256 of this shard's unit ids, sorted and newline-joined: a compact list of what it owns. */
  units_sha256: string;
}

/** What a merged run's run.json records (`merge`): where its rows came from and what is missing. */
export interface MergeRecord {
  plan_sha256: string;
  /** Shards in the plan (N of `--shard I/N`). */
  count: number;
  merged_at: string;
  /** Every shard folder (or earlier merged run) whose rows are in this run. */
  sources: MergeSource[];
  /** Per shard: keys it owns, how many of them have a completed row here, and how to run the rest. */
  shards: MergeShard[];
  /** Keys of the plan with no completed row (0 for a complete merge). */
  missing_keys: number;
}

export interface MergeSource {
  /** The folder as given to `awb merge` (absolute). */
  dir: string;
  /** `shard` for a shard's run folder; `merged` for an earlier merge into the same output. */
  kind: 'shard' | 'merged';
  /** The shard's index (shard folders only). */
  shard?: number;
  run_id: string;
  status: string;
  created_at: string;
  updated_at: string;
  /** Rows this merge took from the folder (one per key). */
  rows_taken: number;
  counts?: Record<string, number>;
  scoring?: unknown[];
}

export interface MergeShard {
  index: number;
  /** Keys (cases × personas × models) the shard owns. */
  keys: number;
  /** Of them, keys with a completed row in the merged run. */
  done: number;
  missing: number;
  status: 'complete' | 'incomplete' | 'missing';
  /** The command that runs (or resumes) the shard, when keys are missing. */
  command?: string;
}
