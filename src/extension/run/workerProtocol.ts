// Messages between the extension host and the run worker (src/extension/run/runWorker.ts).
// Everything here crosses a thread boundary by structured clone: plain data only.
import type { CompareData } from '../../shared/compare';
import type { Diagnostic, LogLevel, ResolvedModel, ResolvedRunConfig, RunProgress, RunSummary, ScoreOptions, ScoreSummary } from '../../core';

/** What the worker does: a run (or a dry run) of a resolved config, or a scoring pass. */
export type WorkerJob =
  // allowEndpoints: what the user approved in the editor; the worker's core gate checks again.
  | { kind: 'run'; cfg: ResolvedRunConfig; env: Record<string, string | undefined>; registry: string; allowEndpoints?: string[] }
  /** Compare Runs: two run folders compared (bootstrap and tests take seconds on 100k rows). */
  | { kind: 'compare'; baseDir: string; newDir: string; labels: [string, string] }
  | { kind: 'score'; runDir: string; options: Omit<ScoreOptions, 'signal' | 'onProgress' | 'log' | 'keyResolver' | 'env' | 'scorer' | 'fetch'>; env: Record<string, string | undefined>; registry: string };

/** Extension host → worker. */
export type ToWorker =
  | { type: 'abort' }
  | { type: 'key'; id: number; key: string | undefined };

/** An error thrown by the job, carried across the boundary. */
export interface WorkerError {
  name: string;
  message: string;
  stack?: string;
  /** A DataError's diagnostics, so the host can list them as before. */
  diagnostics?: Diagnostic[];
  /** One of the core's expected errors (bad data or config, locked run…): no stack trace in the log. */
  known: boolean;
}

/** Worker → extension host. */
export type FromWorker =
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'progress'; progress: RunProgress }
  /** The worker asks for a model's key; the host answers from SecretStorage (origin-bound). */
  | { type: 'key'; id: number; model: ResolvedModel }
  | { type: 'done'; result: RunSummary | ScoreSummary | CompareData }
  | { type: 'error'; error: WorkerError };
