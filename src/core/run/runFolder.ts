import { existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { redact } from '../log';
import { tempPathFor, writeFileAtomicSync } from '../storage/atomic';
import type { Grid } from '../schemas/grid';
import type { ResolvedGrid, ResolvedRunConfig, StoredInput } from './config';
import type { Fingerprint } from './fingerprint';
import { ExpectedError } from '../errors';
import type { ShardRecord } from './shard';
import type { MergeRecord } from '../merge/record';

/** File names inside `results/{run_id}/` (see docs/run-folder.md). */
export const RUN_FILES = {
  partials: 'partials.jsonl',
  state: 'state.sqlite',
  csv: 'results.csv',
  parquet: 'results.parquet',
  summary: 'summary.csv',
  log: 'run.log',
  runJson: 'run.json',
  cases: 'cases.jsonl',
  lock: 'run.lock',
  /** Grid runs: the grid's cases as built for this run, and the sycophancy report. */
  gridCases: 'grid.cases.jsonl',
  sycophancy: 'sycophancy.csv',
} as const;

export type RunStatus = 'running' | 'complete' | 'partial' | 'cancelled' | 'failed';

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

export function readRunJson(runDir: string): RunJson | undefined {
  const f = join(runDir, RUN_FILES.runJson);
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as RunJson;
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockInfo { pid: number; host: string; at: string }

function readLock(file: string): LockInfo | undefined {
  try { return JSON.parse(readFileSync(file, 'utf8')) as LockInfo; } catch { return undefined; }
}

/**
 * True when a live process holds the run (same host: by pid; other host: touched in the last minute).
 * The lock is created whole (written aside, then hard-linked into place), so an unreadable lock
 * was not written by a live holder and does not count.
 */
export function isLocked(runDir: string): boolean {
  const file = join(runDir, RUN_FILES.lock);
  if (!existsSync(file)) return false;
  const info = readLock(file);
  if (!info || typeof info.pid !== 'number') return false;
  if (info.host === hostname()) return info.pid === process.pid || pidAlive(info.pid);
  return Date.now() - statSync(file).mtimeMs < 60_000;
}

export class RunLockedError extends ExpectedError {
  override name = 'RunLockedError';
}

/**
 * Takes `run.lock` so two processes never append to the same run. A lock left by a dead process
 * (kill -9) is taken over at once. The content is written to a temp file first and linked into
 * place, so a kill between creating and writing the lock cannot leave an empty one behind.
 */
export function acquireRunLock(runDir: string): () => void {
  const file = join(runDir, RUN_FILES.lock);
  const tmp = tempPathFor(file);
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }));
  try {
    for (let i = 0; i < 3; i++) {
      try {
        linkSync(tmp, file);
        return () => { if (readLock(file)?.pid === process.pid) rmSync(file, { force: true }); };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (isLocked(runDir)) {
          const info = readLock(file);
          throw new RunLockedError(`run ${runDir} is in use by another process${info ? ` (pid ${info.pid} on ${info.host})` : ''}`);
        }
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  throw new RunLockedError(`could not lock ${runDir}`);
}
