import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from '../export/report';
import { renameWithRetry, tempPathFor } from '../storage/atomic';
import { createMasterScorer } from '../grid/masterScorer';
import { safetyJudge } from '../judge/safetyJudge';
import type { Scorer } from '../judge/scorer';
import { noopLogger, redactingLogger, teeLogger, type Logger } from '../log';
import type { ResolvedModel } from '../providers/models';
import { authorizeKeys, type AuthorizedKeys } from '../providers/keys';
import {
  acquireRunLock, finishedStatus, PartialsWriter, readRunJson, RUN_FILES, scanPartials, StateDb, writeRunJson, writeRunJsonInPlace,
  type RunJson, type RunStatus,
} from '../runFolder';
import { ioMessage } from '../validate/fileCheck';
import { callModels, type CallOptions } from './calls';
import { ConfigError, displayPath, storedInput, type ResolvedRunConfig } from './config';
import { diffFingerprints, ResumeMismatchError } from './fingerprint';
import { FileLogger } from './fileLogger';
import { type SnapshotCase } from './plan';
import { prepareData } from './prepare';
import type { RunProgress, RunSummary } from './progress';
import { dryRunSummary } from './dryRun';
import { resumeCommand } from './resumeCommand';
import { buildGridCases, checkGridResume, storedConfig } from './gridRun';
import { recordRunHistory, type RegistryTarget } from './history';
import { diffShard, planShards, shardRecord, shardUnit } from './shard';

/** Options of `runBenchmark`; all optional (cancellation, pacing and memory: CallOptions). */
export interface RunOptions extends CallOptions {
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

type RunFiles = { partials: string; state: string; cases: string };
type Prepared = Awaited<ReturnType<typeof prepareData>>;

/** The phases of a run that holds its folder's lock, in order. */
async function runLocked(cfg: ResolvedRunConfig, opts: RunOptions, scorer: Scorer<unknown>, authorized: AuthorizedKeys, secrets: Set<string>, log: Logger): Promise<RunSummary> {
  const t0 = performance.now();
  const dir = cfg.runDir;
  const files: RunFiles = { partials: join(dir, RUN_FILES.partials), state: join(dir, RUN_FILES.state), cases: join(dir, RUN_FILES.cases) };
  const emit = (p: RunProgress) => { try { opts.onProgress?.(p); } catch (err) { log.warn(`progress listener failed: ${String(err)}`); } };
  emit({ phase: 'loading', done: 0, total: 0, errors: 0, judgeErrors: 0, rate: 0, etaSeconds: undefined, inFlight: 0 });
  // Read once: the run is locked, nothing else writes it until this run does.
  const existing = readRunJson(dir);

  const { prepared, gridBuilt } = await preparePlan(cfg, opts, scorer, existing, files, log);

  // Keys were authorized before the run folder was touched (endpoints approved, plain http
  // refused); they stay in memory only and are redacted from everything written.
  const { keys, missing } = authorized;
  if (missing.length) throw new ConfigError(`no API key for: ${missing.join('; ')}`);
  for (const k of keys.values()) if (k) secrets.add(k);

  const { db, writer, answered } = await openState(files, prepared.fingerprintSha256, cfg.score === 'now', log);

  // A shard runs only its units (cases; grid groups) of the plan: see shard.ts.
  const keysPerCase = cfg.personas.length * cfg.models.length;
  const shardSplit = cfg.shard ? planShards(files.cases, prepared.fingerprintSha256, cfg.shard.count, Boolean(cfg.grid)) : undefined;
  const shard = cfg.shard && shardSplit ? shardRecord(shardSplit, prepared.fingerprintSha256, cfg.shard, keysPerCase) : undefined;
  const owns = (c: SnapshotCase['case']) => !shardSplit || shardSplit.shardOfUnit.get(shardUnit(c, shardSplit.grid)) === cfg.shard!.index;
  const total = shard ? shard.keys : prepared.totalCases * keysPerCase;
  const alreadyDone = db.count();

  // run.json's first write: the plan, status `running`.
  const runJson = startingRunJson(cfg, scorer, prepared, existing, { total, done: alreadyDone, shard });
  writeRunJson(dir, runJson, secrets);
  if (shard) log.info(`shard ${shard.index}/${shard.count} of plan ${shard.plan_sha256.slice(0, 12)}: ${shard.units} of ${shard.plan_units} ${shard.unit}s, ${shard.cases} of ${shard.plan_cases} cases`);
  log.info(`run ${cfg.runId}: ${shard ? shard.cases : prepared.totalCases} cases × ${cfg.personas.length} personas × ${cfg.models.length} models = ${total} keys; ${alreadyDone} already done${answered.size ? `, ${answered.size} answered and waiting for the judge` : ''}; judge ${cfg.score === 'now' ? cfg.judge.slug : 'later'}`);

  const calls = await callModels({ cfg, opts, scorer, keys, secrets, log, files, db, writer, answered, owns, total, alreadyDone, t0, emit });

  return finishRun({ cfg, opts, scorer, secrets, log, emit, t0, runJson, prepared, gridBuilt, calls, total });
}

/** The data: validated, hashed and snapshot to cases.jsonl, checked against the stored fingerprint before anything else is touched. */
async function preparePlan(cfg: ResolvedRunConfig, opts: RunOptions, scorer: Scorer<unknown>, existing: RunJson | undefined, files: RunFiles, log: Logger): Promise<{ prepared: Prepared; gridBuilt: RunSummary['grid'] }> {
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
  return { prepared, gridBuilt };
}

/**
 * The state index, reconciled with partials.jsonl (the truth), and the writer that appends to it.
 * A run judged as it goes writes each answer as a `pending` row before its judge is asked: a
 * resume judges those answers (`answered`) and asks the model only for what it never answered.
 */
async function openState(files: RunFiles, fingerprintSha256: string, scoreNow: boolean, log: Logger): Promise<{ db: StateDb; writer: PartialsWriter; answered: Map<string, [number, number]> }> {
  const db = await StateDb.open(files.state);
  if (db.recovered) log.warn(`${RUN_FILES.state}: ${db.recovered}; rebuilding from ${RUN_FILES.partials}`);
  const partialsSize = existsSync(files.partials) ? statSync(files.partials).size : 0;
  if (db.getMeta('fingerprint') !== fingerprintSha256 || db.coverage.offset > partialsSize) db.clear();
  const scan = scanPartials(files.partials, db.coverage, undefined, { scoreNow });
  for (const k of scan.doneKeys) {
    db.markDone(k);
    if (scoreNow) db.dropAnswered(k);
  }
  for (const [k, at] of scan.answered) if (!db.has(k)) db.markAnswered(k, at[0], at[1]);
  const answered = scoreNow ? db.answered() : new Map<string, [number, number]>();
  if (scan.tornTail) log.warn(`${RUN_FILES.partials}: dropped a torn last line after line ${scan.lines}; that key runs again`);
  const writer = new PartialsWriter(files.partials, scan.validEnd, scan.lines);
  db.setMeta('fingerprint', fingerprintSha256);
  db.checkpoint(writer.position);
  return { db, writer, answered };
}

/** run.json as a run starts: its plan and status `running`; what an earlier session recorded is kept. */
function startingRunJson(cfg: ResolvedRunConfig, scorer: Scorer<unknown>, prepared: Prepared, existing: RunJson | undefined, at: { total: number; done: number; shard: RunJson['shard'] }): RunJson {
  const now = new Date().toISOString();
  return {
    format: 1,
    run_id: cfg.runId,
    created_at: existing?.created_at ?? now,
    updated_at: now,
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
    counts: { total: at.total, done: at.done, errors: existing?.counts?.errors ?? 0, judge_errors: existing?.counts?.judge_errors ?? 0, judge_pending: existing?.counts?.judge_pending ?? 0 },
    scoring: existing?.scoring ?? [],
    resume_command: resumeCommand(cfg),
    ...(at.shard ? { shard: at.shard } : {}),
    // A merged run resumed here keeps where its rows came from.
    ...(existing?.merge ? { merge: existing.merge } : {}),
  };
}

/**
 * The end of a run, however it ended: results files rebuilt from partials.jsonl (each key once),
 * run.json's second write (status, counts, the scoring pass), the registry's history.
 */
async function finishRun(r: {
  cfg: ResolvedRunConfig; opts: RunOptions; scorer: Scorer<unknown>; secrets: Set<string>; log: Logger; emit: (p: RunProgress) => void; t0: number;
  runJson: RunJson; prepared: Prepared; gridBuilt: RunSummary['grid']; calls: Awaited<ReturnType<typeof callModels>>; total: number;
}): Promise<RunSummary> {
  const { cfg, opts, scorer, secrets, log, emit, t0, runJson, prepared, gridBuilt, total } = r;
  const { session, perModel, fatal, done } = r.calls;
  const dir = cfg.runDir;
  const now = () => new Date().toISOString();
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
