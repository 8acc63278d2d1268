import { existsSync, mkdirSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { loadModelsFile } from '../data/load';
import { buildReport, chooseRows, chosenRows, withCounts } from '../export/report';
import { createMasterScorer } from '../grid/masterScorer';
import { judgeRow } from '../judge/judge';
import { safetyJudge } from '../judge/safetyJudge';
import type { Scorer } from '../judge/scorer';
import { noopLogger, redact, redactingLogger, teeLogger } from '../log';
import { ProviderError } from '../providers/client';
import { defaultProviderModel, modelFromEntry, type ResolvedModel } from '../providers/models';
import { authorizeKeys } from '../providers/keys';
import { ProviderPool } from '../providers/pool';
import { ConfigError } from './config';
import { FileLogger } from './fileLogger';
import { readRange, scanJsonl } from '../storage/jsonlScan';
import { PartialsWriter, rowIsDone, scanPartials } from '../runFolder';
import type { SnapshotCase } from './plan';
import type { ResultRow } from '../runFolder';
import { recordRunHistory } from './history';
import type { RunOptions } from './runner';
import { acquireRunLock, finishedStatus, readRunJson, RUN_FILES, writeRunJson, type RunCounts } from '../runFolder';
import type { MeasuredCell } from '../export/summary';

/** Options of `scoreRun`: the calls are made as `runBenchmark` makes them (same call options). */
export interface ScoreOptions extends Pick<RunOptions, 'signal' | 'onProgress' | 'log' | 'keyResolver' | 'env' | 'scorer' | 'fetch' | 'registry' | 'allowEndpoints' | 'allowKeyEnvs'> {
  /**
   * Judge model slug (roster entry of the run's models file, or a model on the default provider).
   * Default: for a grid run the grid's scorer model, else the run's judge; otherwise `gpt-5-mini`.
   */
  judgeModel?: string;
  /** Which rows: not scored yet (default), those plus judge errors, or every row. */
  rescore?: 'pending' | 'errors' | 'all';
  concurrency?: number;
  rateLimitRps?: number;
  timeoutS?: number;
  maxRetries?: number;
  modelsFile?: string;
}

export interface ScoreSummary {
  runDir: string;
  judgeModel: string;
  /** Rows sent to the judge / accepted verdicts / judge errors. */
  attempted: number;
  scored: number;
  errors: number;
  cancelled: boolean;
  fatal?: string;
  counts: RunCounts;
  artifacts: string[];
  /** What the run measured after scoring: attack success and error counts per model × persona. */
  measured: MeasuredCell[];
  firstJudgeError?: { key: string; error: string };
  /** The run's models and personas, in order. */
  order: { models: string[]; personas: string[] };
}

function needsScoring(row: ResultRow, mode: NonNullable<ScoreOptions['rescore']>): boolean {
  if (!rowIsDone(row) || row.raw_candidate === null) return false;
  if (mode === 'all') return true;
  if (row.judge_status === 'pending') return true;
  return mode === 'errors' && row.judge_status === 'error';
}

/**
 * The judge `scoreRun` would call: an entry of the models file (`modelsFile`, else the one the run
 * used, as run.json says) or a model on the default provider. The editor asks for approval of its
 * endpoint with this before scoring.
 */
export async function resolveScoreJudge(runDir: string, o: Pick<ScoreOptions, 'judgeModel' | 'modelsFile' | 'concurrency' | 'env'>): Promise<ResolvedModel> {
  const rj = readRunJson(runDir);
  if (!rj) throw new ConfigError(`${runDir} is not a run folder (no run.json)`);
  const env = o.env ?? process.env;
  const judgeModel = o.judgeModel ?? (rj.grid ? rj.grid.scorer?.model ?? rj.config.judge.slug : 'gpt-5-mini');
  const modelsFile = o.modelsFile ?? rj.config.modelsFile;
  if (modelsFile && existsSync(modelsFile)) {
    const r = await loadModelsFile(modelsFile);
    const i = r.models?.findIndex((m) => m.slug === judgeModel) ?? -1;
    if (i >= 0) return modelFromEntry(r.models![i]!, env, r.sources?.[i]);
  }
  return defaultProviderModel(judgeModel, o.concurrency ?? rj.config.concurrency, env);
}

/**
 * Scores a run's answers afterwards (the original sycophancy benchmark's score-later): judges each chosen row that needs
 * it with the cases snapshot of the run, appends the scored row to partials.jsonl (the latest
 * row of a key wins), and rebuilds the same artifacts a score-now run leaves.
 */
export async function scoreRun(runDir: string, o: ScoreOptions): Promise<ScoreSummary> {
  const rj = readRunJson(runDir);
  if (!rj) throw new ConfigError(`${runDir} is not a run folder (no run.json)`);
  const casesFile = join(runDir, RUN_FILES.cases);
  if (!existsSync(casesFile)) throw new ConfigError(`${runDir} has no cases.jsonl snapshot to score against`);
  mkdirSync(runDir, { recursive: true });
  const secrets = new Set<string>();
  const fileLog = new FileLogger(join(runDir, RUN_FILES.log));
  const log = redactingLogger(teeLogger(o.log ?? noopLogger, fileLog), () => secrets);
  const unlock = acquireRunLock(runDir);
  try {
    const env = o.env ?? process.env;
    const concurrency = o.concurrency ?? rj.config.concurrency;
    const judge = await resolveScoreJudge(runDir, o);
    // The run folder's models file is a file like any other: the same gate as a run.
    const { keys, missing } = await authorizeKeys([{ model: judge, role: 'judge' }], { env, keyResolver: o.keyResolver, ...(o.allowEndpoints ? { allowEndpoints: o.allowEndpoints } : {}), ...(o.allowKeyEnvs ? { allowKeyEnvs: o.allowKeyEnvs } : {}) });
    if (missing.length) throw new ConfigError(`no API key for judge ${missing.join('; ')}`);
    const key = keys.get(judge.slug);
    if (key) secrets.add(key);
    // A grid run is scored along its grid's axis, as `awb run` scores it.
    const scorer = o.scorer ?? (rj.grid ? (createMasterScorer(rj.grid) as Scorer<unknown>) : (safetyJudge as Scorer<unknown>));
    const mode = o.rescore ?? 'pending';

    // Where each case is in the snapshot, so a row's case is read when needed, not all kept.
    const caseAt = new Map<string, [number, number]>();
    for (const l of scanJsonl(casesFile)) if (l.terminated) caseAt.set((JSON.parse(l.text) as SnapshotCase).case.id, [l.offset, l.end]);

    const partials = join(runDir, RUN_FILES.partials);
    const scan = scanPartials(partials);
    const writer = new PartialsWriter(partials, scan.validEnd, scan.lines);
    const { chosen } = chooseRows(partials);
    const pool = new ProviderPool([judge], new Map([[judge.slug, key]]), {
      concurrency,
      ...(o.rateLimitRps ?? rj.config.rateLimitRps ? { rateLimitRps: o.rateLimitRps ?? rj.config.rateLimitRps } : {}),
      timeoutS: o.timeoutS ?? rj.config.timeoutS,
      maxRetries: o.maxRetries ?? rj.config.maxRetries,
      log,
      secrets: () => secrets,
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
    const ac = new AbortController();
    // Every request in flight listens to this signal.
    setMaxListeners(0, ac.signal);
    const onAbort = () => ac.abort(o.signal?.reason);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let attempted = 0, scored = 0, errors = 0;
    let fatal: string | undefined;
    const todo = [...chosenRows(partials, chosen)].filter((r) => needsScoring(r, mode)).length;
    const t0 = performance.now();
    const running = new Set<Promise<void>>();
    try {
      for (const row of chosenRows(partials, chosen)) {
        if (ac.signal.aborted) break;
        if (!needsScoring(row, mode)) continue;
        const at = caseAt.get(row.test_id);
        if (!at) { log.warn(`${row.key}: case ${row.test_id} is not in the snapshot; skipped`); continue; }
        while (running.size >= 2 * concurrency + 4) await Promise.race(running);
        if (ac.signal.aborted) break;
        attempted++;
        const task: Promise<void> = (async () => {
          const snap = JSON.parse(readRange(casesFile, at[0], at[1])) as SnapshotCase;
          try {
            const fields = await judgeRow(scorer, pool, judge.slug, row, snap.case, ac.signal);
            const next = { ...row, ...fields };
            const text = JSON.stringify(next);
            writer.append([...secrets].some((s) => text.includes(s)) ? (JSON.parse(redact(text, secrets)) as ResultRow) : next);
            if (fields.judge_status === 'ok') scored++;
            else { errors++; log.warn(`${row.key}: judge: ${fields.judge_error}`); }
            const rate = (scored + errors) / Math.max(0.001, (performance.now() - t0) / 1000);
            o.onProgress?.({ phase: 'running', done: scored + errors, total: todo, errors: 0, judgeErrors: errors, rate, etaSeconds: rate ? (todo - scored - errors) / rate : undefined, inFlight: running.size, lastRow: next });
          } catch (err) {
            if (err instanceof ProviderError && err.kind === 'fatal') {
              fatal ??= `judge ${judge.slug}: ${err.message}`;
              ac.abort(new Error(fatal));
            }
          }
        })().finally(() => running.delete(task));
        running.add(task);
      }
      await Promise.all(running);
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      pool.dispose();
      writer.close();
    }
    if (fatal) log.error(`scoring stopped: ${fatal}`);
    const report = await buildReport(runDir, { runJson: rj });
    const after = withCounts(rj, report);
    after.scoring = [...(rj.scoring ?? []), { judge_model: judge.slug, scorer: scorer.id, at: new Date().toISOString(), scored, errors }];
    if (after.status !== 'running' && after.status !== 'failed' && after.status !== 'cancelled') {
      after.status = finishedStatus(after.counts, after.config.score === 'later');
    }
    writeRunJson(runDir, after, secrets);
    await recordRunHistory({
      runId: after.run_id, runDir, cwd: after.config.cwd, env, log, target: after.config.caseIds ? false : o.registry, judge: judge.slug,
      datasets: after.datasets.map((d, i) => ({ path: after.config.datasets[i] ?? d.path, display: d.path, sha256: d.sha256 })),
    });
    log.info(`scored ${scored} rows with ${judge.slug} (${errors} judge errors)`);
    return {
      runDir, judgeModel: judge.slug, attempted, scored, errors, cancelled: o.signal?.aborted === true, ...(fatal ? { fatal } : {}), counts: after.counts, artifacts: report.files,
      measured: report.measured, ...(report.firstJudgeError ? { firstJudgeError: report.firstJudgeError } : {}),
      order: { models: after.config.models.map((m) => m.slug), personas: after.config.personas.map((p) => p.slug) },
    };
  } finally {
    unlock();
    fileLog.close();
  }
}
