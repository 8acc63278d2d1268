import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { buildReport } from '../export/report';
import { renameWithRetry, tempPathFor } from '../storage/atomic';
import { createMasterScorer } from '../grid/masterScorer';
import { judgeRow } from '../judge/judge';
import { safetyJudge } from '../judge/safetyJudge';
import type { Scorer } from '../judge/scorer';
import { noopLogger, redact, redactingLogger, teeLogger, type Logger } from '../log';
import { ProviderError } from '../providers/client';
import type { Clock } from '../providers/limits';
import type { ResolvedModel } from '../providers/models';
import { authorizeKeys, type AuthorizedKeys } from '../providers/keys';
import { ProviderPool } from '../providers/pool';
import { ConfigError, displayPath, storedInput, type ResolvedRunConfig } from './config';
import { diffFingerprints, ResumeMismatchError } from './fingerprint';
import { FileLogger } from './fileLogger';
import { readRange, scanJsonl } from '../storage/jsonlScan';
import { PartialsWriter, scanPartials } from '../runFolder';
import { baseRow, buildMessages, type SnapshotCase } from './plan';
import { prepareData } from './prepare';
import type { ModelStats, RunProgress, RunSummary } from './progress';
import { resultKey, type ResultRow } from '../runFolder';
import { acquireRunLock, finishedStatus, readRunJson, RUN_FILES, writeRunJson, writeRunJsonInPlace, type RunJson, type RunStatus } from '../runFolder';
import { StateDb } from '../runFolder';
import { dryRunSummary, resumeCommand } from './dryRun';
import { buildGridCases, checkGridResume, storedConfig } from './gridRun';
import { recordRunHistory, type RegistryTarget } from './history';
import { ioMessage } from '../validate/fileCheck';
import { diffShard, planShards, shardRecord, shardUnit } from './shard';

/** Options of `runBenchmark`; all optional. */
export interface RunOptions {
  /** Cancels the run: requests in flight are aborted, nothing is written for them, state is saved. */
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  log?: Logger;
  /** Key of a model (the extension reads SecretStorage); else the model's environment variable. */
  keyResolver?: (model: ResolvedModel) => Promise<string | undefined>;
  env?: NodeJS.ProcessEnv;
  /**
   * Endpoints the user approved for this run outside the workspace (`--allow-endpoint`, or the
   * editor's approvals); added to AWB_ALLOW_ENDPOINTS and the user-level list (see providers/endpoints).
   */
  allowEndpoints?: string[];
  /** Variables `api_key_env` may name besides `*_API_KEY` (`--allow-key-env`; also AWB_ALLOW_KEY_ENVS). */
  allowKeyEnvs?: string[];
  /** The judge; default the grid's master scorer for a grid run, else the original Python runner's safety judge. */
  scorer?: Scorer<unknown>;
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
  /**
   * The registry whose history records this run (every registered dataset of the run: one result
   * per model × persona): a path or URL; `false` records nothing. Default `AWB_REGISTRY`, else
   * `~/.alignment-workbench/registry.sqlite`. A registry problem is a warning, never a failed run.
   */
  registry?: RegistryTarget;
}

/** The models a run calls (the judge too when scoring now), each once. */
export function callsOf(cfg: ResolvedRunConfig): { model: ResolvedModel; role: 'model' | 'judge' }[] {
  return [...cfg.models.map((model) => ({ model, role: 'model' as const })), ...(cfg.score === 'now' ? [{ model: cfg.judge, role: 'judge' as const }] : [])];
}

/**
 * Runs a benchmark: every case × persona × model not done yet, judged now or left for later.
 * Appends each row to partials.jsonl before marking its key done, checkpoints the state DB,
 * and rebuilds results.csv / results.parquet / summary.csv at the end (also when cancelled).
 * Throws `DataError` (invalid data), `ConfigError` (missing keys), `ResumeMismatchError`
 * (the run id exists with other inputs), `PartialsCorruptError` or `RunLockedError` before
 * any call is made.
 */
export async function runBenchmark(cfg: ResolvedRunConfig, opts: RunOptions = {}): Promise<RunSummary> {
  const scorer = opts.scorer ?? (cfg.grid ? (createMasterScorer(cfg.grid.spec) as Scorer<unknown>) : (safetyJudge as Scorer<unknown>));
  const env = opts.env ?? process.env;
  const secrets = new Set<string>();
  for (const n of cfg.notices ?? []) opts.log?.warn(n);
  // Where keys go is decided before anything else (a refusal leaves no folder and sends nothing).
  const authorized = await authorizeKeys(callsOf(cfg), { env, keyResolver: opts.keyResolver, ...(opts.allowEndpoints ? { allowEndpoints: opts.allowEndpoints } : {}), ...(opts.allowKeyEnvs ? { allowKeyEnvs: opts.allowKeyEnvs } : {}), showPath: (f) => displayPath(cfg.cwd, f) });
  if (cfg.dryRun) return dryRunSummary(cfg, scorer, authorized.missingShort, opts.log ?? noopLogger);

  const existed = existsSync(cfg.runDir);
  mkdirSync(cfg.runDir, { recursive: true });
  const fileLog = new FileLogger(join(cfg.runDir, RUN_FILES.log));
  const log = redactingLogger(teeLogger(opts.log ?? noopLogger, fileLog), () => secrets);
  let unlock: (() => void) | undefined;
  let failed = false;
  try {
    unlock = acquireRunLock(cfg.runDir);
    return await runLocked(cfg, opts, scorer, authorized, secrets, log);
  } catch (err) {
    failed = true;
    // run.log only: the caller reports the error it is thrown (the CLI prints it, the editor shows
    // and logs it), so writing it to the caller's log too would say it twice.
    redactingLogger(fileLog, () => secrets).error(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    unlock?.();
    fileLog.close();
    // A run refused before it started (bad data, missing key) leaves no folder behind.
    if (failed && !existed && !existsSync(join(cfg.runDir, RUN_FILES.runJson))) rmSync(cfg.runDir, { recursive: true, force: true });
  }
}

async function runLocked(cfg: ResolvedRunConfig, opts: RunOptions, scorer: Scorer<unknown>, authorized: AuthorizedKeys, secrets: Set<string>, log: Logger): Promise<RunSummary> {
  const t0 = performance.now();
  const dir = cfg.runDir;
  const files = { partials: join(dir, RUN_FILES.partials), state: join(dir, RUN_FILES.state), cases: join(dir, RUN_FILES.cases) };
  const emit = (p: RunProgress) => { try { opts.onProgress?.(p); } catch (err) { log.warn(`progress listener failed: ${String(err)}`); } };
  emit({ phase: 'loading', done: 0, total: 0, errors: 0, judgeErrors: 0, rate: 0, etaSeconds: undefined, inFlight: 0 });
  // Read once: the run is locked, nothing else writes it until this run does.
  const existing = readRunJson(dir);

  // 1. Data: validate, hash, snapshot; compare with the stored fingerprint before touching anything.
  let gridBuilt: RunSummary['grid'];
  if (cfg.grid) {
    checkGridResume(cfg, existing);
    gridBuilt = buildGridCases(cfg.grid);
    log.info(`grid ${cfg.grid.file}: ${gridBuilt.groups} groups, ${gridBuilt.cases} cases (${gridBuilt.perspectives.join(', ')}); full grid: ${gridBuilt.fullGroupCount} groups`);
  }
  const snapTmp = tempPathFor(files.cases);
  let prepared;
  try {
    prepared = await prepareData(cfg, scorer, { snapshotFile: snapTmp, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.collectGarbage ? { collectGarbage: opts.collectGarbage } : {}) });
    if (existing) {
      const changes = [...diffFingerprints(existing.fingerprint, prepared.fingerprint), ...diffShard(existing.shard, cfg.shard)];
      if (changes.length) throw new ResumeMismatchError(cfg.runId, changes);
    }
    renameWithRetry(snapTmp, files.cases);
  } finally {
    rmSync(snapTmp, { force: true });
  }
  opts.collectGarbage?.();
  for (const w of prepared.warnings) log.warn(`${w.file}:${w.line}:${w.column}: ${w.message} [${w.rule}]`);

  // 2. Keys: resolved once, kept in memory only, and redacted from everything written.
  // (authorized before the run folder was touched: endpoints approved, plain http refused.)
  const callModels = cfg.score === 'now' ? [...cfg.models, cfg.judge] : cfg.models;
  const { keys, missing } = authorized;
  if (missing.length) throw new ConfigError(`no API key for: ${missing.join('; ')}`);
  for (const k of keys.values()) if (k) secrets.add(k);

  // 3. State: partials.jsonl is the truth; the DB is reconciled with it.
  const db = await StateDb.open(files.state);
  if (db.recovered) log.warn(`state.sqlite: ${db.recovered}; rebuilding from partials.jsonl`);
  const partialsSize = existsSync(files.partials) ? statSync(files.partials).size : 0;
  if (db.getMeta('fingerprint') !== prepared.fingerprintSha256 || db.coverage.offset > partialsSize) db.clear();
  // A run judged as it goes writes each answer as a `pending` row before its judge is asked: a
  // resume judges those answers and asks the model only for what it never answered.
  const scoreNow = cfg.score === 'now';
  const scan = scanPartials(files.partials, db.coverage, undefined, { scoreNow });
  for (const k of scan.doneKeys) {
    db.markDone(k);
    if (scoreNow) db.dropAnswered(k);
  }
  for (const [k, at] of scan.answered) if (!db.has(k)) db.markAnswered(k, at[0], at[1]);
  const answered = scoreNow ? db.answered() : new Map<string, [number, number]>();
  if (scan.tornTail) log.warn(`partials.jsonl: dropped a torn last line after line ${scan.lines}; that key runs again`);
  const writer = new PartialsWriter(files.partials, scan.validEnd, scan.lines);
  db.setMeta('fingerprint', prepared.fingerprintSha256);
  db.checkpoint(writer.position);

  // A shard runs only its units (cases; grid groups) of the plan: see shard.ts.
  const keysPerCase = cfg.personas.length * cfg.models.length;
  const shardSplit = cfg.shard ? planShards(files.cases, prepared.fingerprintSha256, cfg.shard.count, Boolean(cfg.grid)) : undefined;
  const shard = cfg.shard && shardSplit ? shardRecord(shardSplit, prepared.fingerprintSha256, cfg.shard, keysPerCase) : undefined;
  const owns = (c: SnapshotCase['case']) => !shardSplit || shardSplit.shardOfUnit.get(shardUnit(c, shardSplit.grid)) === cfg.shard!.index;
  const total = shard ? shard.keys : prepared.totalCases * keysPerCase;
  const alreadyDone = db.count();
  const now = () => new Date().toISOString();
  const runJson: RunJson = {
    format: 1,
    run_id: cfg.runId,
    created_at: existing?.created_at ?? now(),
    updated_at: now(),
    status: 'running',
    config: storedConfig(cfg),
    ...(cfg.grid ? { grid: cfg.grid.spec } : {}),
    input: storedInput(cfg),
    fingerprint: prepared.fingerprint,
    fingerprint_sha256: prepared.fingerprintSha256,
    datasets: prepared.datasets,
    prompts: {
      personas: Object.fromEntries(cfg.personas.map((p) => [p.slug, { name: p.name, system_prompt: p.systemPrompt }])),
      judge: cfg.score === 'now' ? { model: cfg.judge.slug, ...scorer.describe() } : null,
    },
    counts: { total, done: alreadyDone, errors: existing?.counts.errors ?? 0, judge_errors: existing?.counts.judge_errors ?? 0, judge_pending: existing?.counts.judge_pending ?? 0 },
    scoring: existing?.scoring ?? [],
    resume_command: resumeCommand(cfg),
    ...(shard ? { shard } : {}),
    // A merged run resumed here keeps where its rows came from.
    ...(existing?.merge ? { merge: existing.merge } : {}),
  };
  writeRunJson(dir, runJson, secrets);
  if (shard) log.info(`shard ${shard.index}/${shard.count} of plan ${shard.plan_sha256.slice(0, 12)}: ${shard.units} of ${shard.plan_units} ${shard.unit}s, ${shard.cases} of ${shard.plan_cases} cases`);
  log.info(`run ${cfg.runId}: ${shard ? shard.cases : prepared.totalCases} cases × ${cfg.personas.length} personas × ${cfg.models.length} models = ${total} keys; ${alreadyDone} already done${answered.size ? `, ${answered.size} answered and waiting for the judge` : ''}; judge ${cfg.score === 'now' ? cfg.judge.slug : 'later'}`);

  // 4. Calls.
  const ac = new AbortController();
  // Every request in flight listens to this signal.
  setMaxListeners(0, ac.signal);
  const onUserAbort = () => ac.abort(opts.signal?.reason);
  if (opts.signal?.aborted) ac.abort(opts.signal.reason);
  opts.signal?.addEventListener('abort', onUserAbort, { once: true });
  const pool = new ProviderPool(callModels, keys, {
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

  // 5. Artifacts, from partials.jsonl (each key once), then the final run.json.
  emit({ phase: 'exporting', done, total, errors: session.errors, judgeErrors: session.judgeErrors, rate: 0, etaSeconds: 0, inFlight: 0 });
  const cancelled = opts.signal?.aborted === true;
  let artifacts: string[] = [];
  let counts = { ...runJson.counts, done };
  let measured: RunSummary['measured'] = [];
  let firstJudgeError: RunSummary['firstJudgeError'];
  try {
    opts.collectGarbage?.();
    const report = await buildReport(dir, { runJson, ...(opts.collectGarbage ? { collectGarbage: opts.collectGarbage } : {}) });
    artifacts = report.files;
    counts = { total, ...report.counts };
    measured = report.measured;
    firstJudgeError = report.firstJudgeError;
  } catch (err) {
    log.error(`could not write the results files: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Judge errors are errors: a run whose verdicts failed measured nothing for those keys.
  const status: RunStatus = fatal ? 'failed' : cancelled ? 'cancelled' : finishedStatus(counts, cfg.score === 'later');
  runJson.status = status;
  if (fatal) runJson.status_reason = fatal;
  else if (cancelled) runJson.status_reason = 'cancelled';
  runJson.counts = counts;
  runJson.updated_at = now();
  if (cfg.score === 'now' && session.completed > 0) runJson.scoring.push({ judge_model: cfg.judge.slug, scorer: scorer.id, at: now(), scored: session.completed - session.judgeErrors, errors: session.judgeErrors });
  try {
    writeRunJson(dir, runJson, secrets);
  } catch (err) {
    // The final status matters most when the disk is full: overwrite in place rather than leave `running`.
    try {
      writeRunJsonInPlace(dir, runJson, secrets);
    } catch {
      log.error(`could not record the run's status in ${RUN_FILES.runJson}: ${ioMessage(err)}`);
    }
  }
  await recordRunHistory({
    // A run of hand-picked cases (the editor's "Run this case") is a spot check, not an evaluation of the dataset.
    runId: cfg.runId, runDir: dir, cwd: cfg.cwd, env: opts.env ?? process.env, log, target: cfg.caseIds || cfg.shard ? false : opts.registry,
    datasets: prepared.datasets.map((d, i) => ({ path: cfg.datasets[i]!, display: d.path, sha256: d.sha256 })),
    ...(cfg.score === 'now' ? { judge: cfg.judge.slug } : {}),
  });
  const elapsedMs = Math.round(performance.now() - t0);
  log.info(`run ${cfg.runId} ${status}: ${counts.done}/${total} done, ${counts.errors} generation errors, ${counts.judge_errors} judge errors; this session ${session.completed} rows in ${(elapsedMs / 1000).toFixed(1)} s`);
  emit({ phase: 'done', done: counts.done, total, errors: session.errors, judgeErrors: session.judgeErrors, rate: 0, etaSeconds: 0, inFlight: 0 });
  return {
    runId: cfg.runId,
    runDir: dir,
    status,
    counts,
    session: { ...session, elapsedMs },
    ...(fatal ? { fatal } : {}),
    perModel,
    measured,
    ...(firstJudgeError ? { firstJudgeError } : {}),
    scoreLater: cfg.score === 'later',
    judgeModel: cfg.judge.slug,
    artifacts,
    ...(gridBuilt ? { grid: gridBuilt } : {}),
    warnings: prepared.warnings.map((w) => `${w.file}:${w.line}:${w.column}: ${w.message}`),
    resumeCommand: resumeCommand(cfg),
  };
}
