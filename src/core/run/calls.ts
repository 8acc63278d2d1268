import { setMaxListeners } from 'node:events';
import { judgeRow } from '../judge/judge';
import type { Scorer } from '../judge/scorer';
import { redact, type Logger } from '../log';
import { ProviderError } from '../providers/client';
import type { Clock } from '../providers/limits';
import type { ResolvedModel } from '../providers/models';
import { ProviderPool } from '../providers/pool';
import { resultKey, RUN_FILES, type PartialsWriter, type ResultRow, type StateDb } from '../runFolder';
import { readRange, scanJsonl } from '../storage/jsonlScan';
import { ioMessage } from '../validate/fileCheck';
import { baseRow, buildMessages, type SnapshotCase } from './plan';
import type { ModelStats, RunProgress } from './progress';
import type { ResolvedRunConfig } from './types';

/** The run's options the calls use (part of RunOptions). */
export interface CallOptions {
  /** Cancels the run: requests in flight are aborted, nothing is written for them, state is saved. */
  signal?: AbortSignal;
  /** How often the state DB is persisted (default 5 s; also at the end and on cancel). */
  checkpointMs?: number;
  /**
   * Called between phases and about once a second while running. A process that owns its heap
   * (the CLI) passes a full GC here: V8 otherwise lets garbage from 100,000s of calls pile up
   * before collecting it, which is what peak memory measures. The extension leaves it unset.
   */
  collectGarbage?: () => void;
  /** Retry-After above this pauses the model's queue (default 60 s). */
  longRetryAfterMs?: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

/** What the calls need: the run as planned, its open state and its writer. */
export interface CallsContext {
  cfg: ResolvedRunConfig;
  opts: CallOptions;
  scorer: Scorer<unknown>;
  keys: Map<string, string | undefined>;
  /** Keys to redact from everything written. */
  secrets: Set<string>;
  log: Logger;
  files: { partials: string; cases: string };
  db: StateDb;
  writer: PartialsWriter;
  /** Answers of a score-now run waiting for their judge (key → byte range in partials.jsonl). */
  answered: Map<string, [number, number]>;
  /** Whether this run (a shard) owns a case. */
  owns: (c: SnapshotCase['case']) => boolean;
  total: number;
  alreadyDone: number;
  /** When the run started (performance.now()), for the rate. */
  t0: number;
  emit: (p: RunProgress) => void;
}

/** What the calls did this session. */
export interface CallsOutcome {
  session: { completed: number; errors: number; judgeErrors: number; skipped: number; calls: number };
  perModel: Record<string, ModelStats>;
  /** Why the run stopped early (a fatal provider error, a failed write). */
  fatal?: string;
  /** Keys done, this session and before. */
  done: number;
}

/**
 * Asks every model for every key of the plan not done yet (and the judge, when scoring now),
 * appending each row to partials.jsonl before its key is marked done in the state index. Returns
 * when every key was tried, the run was cancelled, or a fatal error stopped it; the state is
 * checkpointed and closed, the writer closed, either way.
 */
export async function callModels(ctx: CallsContext): Promise<CallsOutcome> {
  const { cfg, opts, scorer, keys, secrets, log, files, db, writer, answered, owns, total, alreadyDone, t0, emit } = ctx;
  const scoreNow = cfg.score === 'now';
  const called = scoreNow ? [...cfg.models, cfg.judge] : cfg.models;
  const now = () => new Date().toISOString();
  const ac = new AbortController();
  // Every request in flight listens to this signal.
  setMaxListeners(0, ac.signal);
  const onUserAbort = () => ac.abort(opts.signal?.reason);
  if (opts.signal?.aborted) ac.abort(opts.signal.reason);
  opts.signal?.addEventListener('abort', onUserAbort, { once: true });
  const pool = new ProviderPool(called, keys, {
    concurrency: cfg.concurrency,
    ...(cfg.rateLimitRps ? { rateLimitRps: cfg.rateLimitRps } : {}),
    timeoutS: cfg.timeoutS,
    maxRetries: cfg.maxRetries,
    ...(opts.longRetryAfterMs !== undefined ? { longRetryAfterMs: opts.longRetryAfterMs } : {}),
    log,
    secrets: () => secrets,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const perModel: Record<string, ModelStats> = Object.fromEntries(cfg.models.map((m) => [m.slug, { completed: 0, errors: 0, judgeErrors: 0, judgeReasks: 0, attempts: 0, concurrencyDecreases: 0 }]));
  const session = { completed: 0, errors: 0, judgeErrors: 0, skipped: 0, calls: 0 };
  let done = alreadyDone;
  let inFlight = 0;
  let fatal: string | undefined;
  /** Stops the run once (the first reason wins): requests in flight are aborted, no new one starts. */
  const stopRun = (reason: string): void => {
    if (!fatal) {
      fatal = reason;
      log.error(`stopping the run: ${fatal}`);
    }
    ac.abort(new Error(fatal));
  };
  // A write that fails (disk full, quota, permissions) stops the run: answers that cannot be
  // recorded would be paid for and thrown away, key after key.
  const writeFailed = (what: string, err: unknown): void =>
    stopRun(`cannot write ${what}: ${ioMessage(err)}; no more requests are sent (resume once it is writable again)`);
  let lastEmit = 0;
  const progress = (lastRow?: ResultRow, force = false): void => {
    const t = performance.now();
    if (!force && t - lastEmit < 100) return;
    lastEmit = t;
    const rate = session.completed + session.errors ? (session.completed + session.errors) / Math.max(0.001, (t - t0) / 1000) : 0;
    emit({ phase: 'running', done, total, errors: session.errors, judgeErrors: session.judgeErrors, rate, etaSeconds: rate > 0 ? (total - done) / rate : undefined, inFlight, ...(lastRow ? { lastRow } : {}) });
  };
  // Defence in depth: a row that somehow contains a key (a model echoing it) is redacted.
  const serialise = (row: ResultRow): string => {
    const text = JSON.stringify(row);
    for (const s of secrets) if (text.includes(s)) return redact(text, secrets);
    return text;
  };
  let checkpointFailed = false;
  const checkpoint = () => {
    try {
      writer.sync();
      db.checkpoint(writer.position);
    } catch (err) {
      // partials.jsonl stays the truth (the index is rebuilt from it on resume), but a disk that
      // cannot take the checkpoint cannot take the rows either: stop, and say so once.
      if (!checkpointFailed) writeFailed(`the run state (${RUN_FILES.state})`, err);
      checkpointFailed = true;
    }
  };
  const timer = setInterval(checkpoint, opts.checkpointMs ?? 5000);
  timer.unref?.();
  const gcTimer = opts.collectGarbage ? setInterval(opts.collectGarbage, 1000) : undefined;
  gcTimer?.unref?.();

  /** The answer a previous session received for a key, waiting for its judge (its `pending` row). */
  const answerOf = (key: string): ResultRow | undefined => {
    const at = answered.get(key);
    if (!at) return undefined;
    try {
      const row = JSON.parse(readRange(files.partials, at[0], at[1])) as ResultRow;
      if (row.key === key && row.raw_candidate !== null && row.error === null) return row;
    } catch { /* not where the index says: ask again */ }
    log.warn(`${key}: the answer recorded in state.sqlite is not in partials.jsonl; asking the model again`);
    return undefined;
  };

  const runKey = async (m: ResolvedModel, persona: ResolvedRunConfig['personas'][number], snap: SnapshotCase, answer?: ResultRow): Promise<void> => {
    const row = answer ?? baseRow(cfg.runId, snap, persona.slug, m.slug, m.model, now());
    inFlight++;
    try {
      if (!answer) {
        const r = await pool.chat(m.slug, buildMessages(persona, snap.case), ac.signal);
        row.raw_candidate = r.text;
        row.attempts = r.attempts;
        row.latency_ms = r.latencyMs;
        session.calls += r.attempts;
        if (scoreNow) {
          // Durable before the judge is asked: whatever happens to the judge, this answer is paid once.
          row.completed_at = now();
          const start = writer.position.offset;
          try {
            writer.append(serialise(row));
          } catch (err) {
            writeFailed(RUN_FILES.partials, err);
            return;
          }
          db.markAnswered(row.key, start, writer.position.offset);
        }
      }
      if (scoreNow) {
        Object.assign(row, await judgeRow(scorer, pool, cfg.judge.slug, row, snap.case, ac.signal));
        session.calls += row.judge_attempts;
      }
    } catch (err) {
      const pe = err instanceof ProviderError ? err : new ProviderError(ac.signal.aborted ? 'aborted' : 'failed', redact(err instanceof Error ? err.message : String(err), secrets));
      if (pe.kind === 'aborted' || ac.signal.aborted) return; // nothing written: the key stays pending
      if (pe.kind === 'fatal') {
        stopRun(`${row.raw_candidate !== null ? `judge ${cfg.judge.slug}` : m.slug}: ${pe.message}`);
        return;
      }
      row.error = pe.message;
      row.attempts = pe.attempts;
      row.judge_status = 'skipped';
      session.calls += pe.attempts;
    } finally {
      inFlight--;
    }
    row.completed_at = now();
    try {
      writer.append(serialise(row));
    } catch (err) {
      writeFailed(RUN_FILES.partials, err);
      return;
    }
    const stats = perModel[m.slug]!;
    if (!answer) stats.attempts += row.attempts;
    if (row.error === null) {
      db.markDone(row.key);
      if (scoreNow) db.dropAnswered(row.key);
      done++;
      session.completed++;
      stats.completed++;
      stats.judgeReasks += Math.max(0, row.judge_attempts - 1);
      if (row.judge_status === 'error') { session.judgeErrors++; stats.judgeErrors++; log.warn(`${row.key}: judge: ${row.judge_error}`); }
    } else {
      session.errors++;
      stats.errors++;
      log.warn(`${row.key}: ${row.error}`);
    }
    progress(row);
  };

  const pipeline = async (m: ResolvedModel): Promise<void> => {
    // Enough tasks queued to keep every slot busy, few enough to keep memory flat.
    const window = Math.min(cfg.concurrency, m.concurrency) + cfg.concurrency + 4;
    // A counting semaphore, not Promise.race over the running set: racing re-subscribes to every
    // running task on each start, O(window) reactions per task.
    let running = 0;
    let wake: (() => void) | undefined;
    const settled = (): void => { running--; const w = wake; wake = undefined; w?.(); };
    const slotFreed = () => new Promise<void>((resolve) => { wake = resolve; });
    outer: for (const l of scanJsonl(files.cases)) {
      if (ac.signal.aborted) break;
      if (!l.terminated) break;
      const snap = JSON.parse(l.text) as SnapshotCase;
      if (!owns(snap.case)) continue;
      for (const p of cfg.personas) {
        const key = resultKey(snap.case.id, p.slug, m.slug);
        if (db.has(key)) { session.skipped++; continue; }
        while (running >= window) await slotFreed();
        if (ac.signal.aborted) break outer;
        const answer = answered.size ? answerOf(key) : undefined;
        running++;
        runKey(m, p, snap, answer).catch((err: unknown) => {
          log.error(`internal error on ${snap.case.id}|${p.slug}|${m.slug}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        }).finally(settled);
        // Start tasks one event-loop turn apart: launching a whole window of requests (SDK
        // setup, sockets) in one turn stalls the host's event loop for 100+ ms at the start.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    while (running > 0) await slotFreed();
  };

  try {
    progress(undefined, true);
    await Promise.all(cfg.models.map((m) => pipeline(m)));
    progress(undefined, true);
  } finally {
    clearInterval(timer);
    if (gcTimer) clearInterval(gcTimer);
    opts.signal?.removeEventListener('abort', onUserAbort);
    for (const m of cfg.models) perModel[m.slug]!.concurrencyDecreases = pool.gate(m.slug)?.decreases ?? 0;
    pool.dispose();
    checkpoint();
    writer.close();
    db.close();
  }
  return { session, perModel, ...(fatal ? { fatal } : {}), done };
}
