import type { ResultRow } from '../runFolder';
import type { RunCounts, RunStatus } from '../runFolder';
import type { MeasuredCell } from '../export/summary';

/** Reported while a run goes (throttled to a few times a second, and once at the end). */
export interface RunProgress {
  phase: 'loading' | 'running' | 'exporting' | 'done';
  /** Keys done, including those done by earlier sessions of this run. */
  done: number;
  total: number;
  /** Rows whose generation failed in this session (they run again on resume). */
  errors: number;
  /** Rows whose judge failed in this session. */
  judgeErrors: number;
  /** Rows per second in this session. */
  rate: number;
  /** Seconds left at the current rate, or undefined before the first row. */
  etaSeconds: number | undefined;
  inFlight: number;
  lastRow?: ResultRow;
}

/** Per model, for the summary (D1: judge retries are reported per model). */
export interface ModelStats {
  completed: number;
  errors: number;
  judgeErrors: number;
  /** Judge re-asks after invalid verdicts. */
  judgeReasks: number;
  /** HTTP attempts including SDK retries. */
  attempts: number;
  /** Times AIMD halved the model's concurrency after repeated 429s. */
  concurrencyDecreases: number;
}

/** What `runBenchmark` returns. */
export interface RunSummary {
  runId: string;
  runDir: string;
  status: RunStatus;
  /** Counts over the whole run folder after this session (each key once). */
  counts: RunCounts;
  session: { completed: number; errors: number; judgeErrors: number; skipped: number; calls: number; elapsedMs: number };
  /** Why the run stopped early (insufficient_quota, a refused key). */
  fatal?: string;
  perModel: Record<string, ModelStats>;
  /** What the run measured: attack success and error counts per model × persona (whole run folder). */
  measured: MeasuredCell[];
  /** The first judge error of the run folder, with its key. */
  firstJudgeError?: { key: string; error: string };
  /** The run asked for `score: later` (answers wait for `awb score`). */
  scoreLater: boolean;
  /** The judge model's slug. */
  judgeModel: string;
  /** Artifacts written (absolute paths). */
  artifacts: string[];
  warnings: string[];
  /** `awb run --run-id … --out …` */
  resumeCommand: string;
  /** Grid runs: what the grid built (groups kept, cases, the full grid's size, perspectives side a first). */
  grid?: { groups: number; cases: number; fullGroupCount: number; perspectives: string[] };
  /** Set by a dry run: what would be sent. */
  dryRun?: { cases: number; keys: number; alreadyDone: number; generationRequests: number; judgeRequests: number; missingKeys: string[] };
}

/** A duration as `1h05m`, `3m07s` or `42s`; `?` when unknown. */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** One line of progress, as the CLI prints it. */
export function formatProgress(p: RunProgress): string {
  const pct = p.total ? ((100 * p.done) / p.total).toFixed(1) : '100.0';
  const eta = p.etaSeconds === undefined ? 'ETA ?' : `ETA ${fmtDuration(p.etaSeconds)}`;
  return `${p.done}/${p.total} (${pct}%)  errors ${p.errors}  judge errors ${p.judgeErrors}  ${p.rate.toFixed(1)}/s  ${eta}`;
}
