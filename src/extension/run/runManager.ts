import { isExpectedError } from '../../core/errors';
import * as vscode from 'vscode';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { basename } from 'node:path';
import {
  attackSuccessText, callsOf, describeOutcome, displayPath, fmtDuration, readRunJsonIfAny, redact, resolveScoreJudge,
  type Logger, type ResolvedModel, type ResolvedRunConfig, type RunProgress, type RunSummary, type ScoreOptions, type ScoreSummary,
} from '../../core';
import { runInWorker, WorkerJobError } from './workerJob';
import { EndpointApprovals, type EndpointUse } from './endpoints';
import type { KeyStore } from './secrets';
import { readBaseUrlSetting, runEnvironment } from '../config';
import { localRegistryPath } from '../registry/registrySources';

/** A run in progress: what the status bar counts and Cancel aborts. */
interface ActiveRun {
  label: string;
  controller: AbortController;
  progress?: RunProgress;
}

function coreLogger(channel: vscode.LogOutputChannel, prefix: string): Logger {
  return {
    trace: (m) => channel.trace(`${prefix}${m}`),
    debug: (m) => channel.debug(`${prefix}${m}`),
    info: (m) => channel.info(`${prefix}${m}`),
    warn: (m) => channel.warn(`${prefix}${m}`),
    error: (m) => channel.error(`${prefix}${m}`),
  };
}

function eta(s: number | undefined): string {
  return s === undefined || !Number.isFinite(s) ? '' : ` · ETA ${fmtDuration(s)}`;
}

/** The message of a progress notification: done/total, errors, rate and time left. */
function progressMessage(p: RunProgress): string {
  const errs = p.errors + p.judgeErrors;
  return `${p.done}/${p.total} done${errs ? ` · ${p.errors} errors${p.judgeErrors ? `, ${p.judgeErrors} judge errors` : ''}` : ''}${p.rate ? ` · ${p.rate.toFixed(1)}/s` : ''}${eta(p.etaSeconds)}`;
}

/** Attack success per model × persona in one sentence (the first few; the log has all). */
function measuredSentence(s: Pick<RunSummary, 'measured' | 'scoreLater'>, max = 6): string {
  const judged = s.measured.filter((c) => c.judged > 0);
  if (judged.length === 0) return s.scoreLater ? 'Not judged yet: Score Run judges the answers.' : '';
  const parts = judged.slice(0, max).map((c) => `${c.model} × ${c.persona} ${attackSuccessText(c)}`);
  return `Attack success: ${parts.join(', ')}${judged.length > max ? `, and ${judged.length - max} more (Show Log)` : ''}.`;
}

/** Each model a call list uses, described for the approval prompt (who, and which file or setting named it). */
function endpointUses(calls: { model: ResolvedModel; role: 'model' | 'judge' }[], cwd: string | undefined): EndpointUse[] {
  const setting = readBaseUrlSetting();
  return calls.map(({ model: m, role }) => {
    // The workspace's baseUrl setting stands in for OPENAI_BASE_URL in the run's environment, so
    // the core would take it for the user's own: it is asked about here, whoever uses it.
    const fromWorkspaceSetting = Boolean(setting.fromWorkspace && setting.value && m.baseURL === setting.value);
    const source = m.from ? `${cwd ? displayPath(cwd, m.from.file) : basename(m.from.file)}:${m.from.line}`
      : fromWorkspaceSetting ? 'the workspace setting alignmentWorkbench.baseUrl' : 'the environment';
    return { model: m, role, user: role === 'judge' ? `the judge "${m.slug}"` : `model "${m.slug}"`, source, ...(fromWorkspaceSetting ? { fromWorkspaceSetting } : {}) };
  });
}

/**
 * Runs benchmarks for the extension host, each in a worker thread (the editor never waits on a
 * run): endpoint approval before any request, keys from
 * SecretStorage (else the environment), a cancellable progress notification, a status bar item
 * while runs are active, the run log in the output channel and a notification at the end.
 */
export class RunManager implements vscode.Disposable {
  private readonly active = new Set<ActiveRun>();
  private readonly statusItem = vscode.window.createStatusBarItem('alignmentWorkbench.runs', vscode.StatusBarAlignment.Left, 50);
  private readonly approvals: EndpointApprovals;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a run starts, progresses a step or ends (the Runs tree refreshes on it). */
  readonly onDidChangeRuns = this.changed.event;

  constructor(private readonly context: vscode.ExtensionContext, private readonly keys: KeyStore, private readonly log: vscode.LogOutputChannel) {
    this.approvals = new EndpointApprovals(context.globalState);
    this.statusItem.name = 'Alignment Workbench runs';
    this.statusItem.command = 'alignmentWorkbench.showLog';
  }

  private keyResolver = (m: ResolvedModel) => this.keys.keyFor(m);

  private updateStatus(): void {
    if (this.active.size === 0) { this.statusItem.hide(); return; }
    const runs = [...this.active];
    const done = runs.reduce((s, r) => s + (r.progress?.done ?? 0), 0);
    const total = runs.reduce((s, r) => s + (r.progress?.total ?? 0), 0);
    this.statusItem.text = `$(sync~spin) AWB ${runs.length > 1 ? `${runs.length} runs ` : ''}${done}/${total}`;
    this.statusItem.tooltip = runs.map((r) => `${r.label}: ${r.progress ? progressMessage(r.progress) : 'starting'}`).join('\n');
    this.statusItem.show();
  }

  /**
   * The one gate of every editor path that may send a key (run, dry run, score): asks for approval
   * of each endpoint a workspace file named (the core decides which), and returns the approved
   * URLs for the worker, whose core gate checks everything again. Undefined: stop, nothing sent.
   */
  private async authorize(what: string, calls: { model: ResolvedModel; role: 'model' | 'judge' }[], cwd: string | undefined, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
    const approved = await this.approvals.ensureApproved(endpointUses(calls, cwd), env);
    if (!approved) this.log.warn(`${what}: endpoint not approved; nothing was sent`);
    return approved;
  }

  /** A dry run: validates the data and counts the requests; calls nothing, writes nothing. Undefined when an endpoint was not approved. */
  async dryRun(cfg: ResolvedRunConfig): Promise<RunSummary | undefined> {
    const env = runEnvironment();
    const allowEndpoints = await this.authorize(`run ${cfg.runId}`, callsOf(cfg), cfg.cwd, env);
    if (!allowEndpoints) return undefined;
    return runInWorker<RunSummary>({ kind: 'run', cfg: { ...cfg, dryRun: true }, env: { ...env }, registry: localRegistryPath(), allowEndpoints }, { log: coreLogger(this.log, `[${cfg.runId}] `), keyResolver: this.keyResolver });
  }

  /** Runs (or resumes) with progress; resolves when the run ends, however it ends (undefined: not run). */
  async run(cfg: ResolvedRunConfig, label: string, options: { quiet?: boolean } = {}): Promise<RunSummary | undefined> {
    const env = runEnvironment();
    const allowEndpoints = await this.authorize(`run ${cfg.runId}`, callsOf(cfg), cfg.cwd, env);
    if (!allowEndpoints) return undefined;
    const entry: ActiveRun = { label, controller: new AbortController() };
    this.active.add(entry);
    this.updateStatus();
    this.changed.fire();
    const stall = monitorEventLoopDelay({ resolution: 10 });
    stall.enable();
    const log = coreLogger(this.log, `[${cfg.runId}] `);
    log.info(`starting ${label}: ${cfg.models.length} model(s), ${cfg.personas.length} persona(s), judge ${cfg.judge.slug} (${cfg.score === 'now' ? 'scoring now' : 'scoring later'}) → ${cfg.runDir}`);
    let summary: RunSummary | undefined;
    try {
      summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Alignment Workbench: ${label}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => { log.warn('cancel requested: aborting requests in flight'); entry.controller.abort(); });
          let lastPct = 0;
          let lastFire = 0;
          return runInWorker<RunSummary>({ kind: 'run', cfg, env: { ...env }, registry: localRegistryPath(), allowEndpoints }, {
            signal: entry.controller.signal,
            log,
            keyResolver: this.keyResolver,
            onProgress: (p) => {
              entry.progress = p;
              const pct = p.total ? (100 * p.done) / p.total : 0;
              progress.report({ message: progressMessage(p), increment: Math.max(0, pct - lastPct) });
              lastPct = Math.max(lastPct, pct);
              this.updateStatus();
              if (Date.now() - lastFire > 1000) { lastFire = Date.now(); this.changed.fire(); }
            },
          });
        },
      );
      if (!options.quiet || summary.fatal || summary.status !== 'complete') this.report(summary, label, { models: cfg.models.map((m) => m.slug), personas: cfg.personas.map((p) => p.slug) });
      return summary;
    } catch (err) {
      this.reportError(err, label);
      return undefined;
    } finally {
      stall.disable();
      const maxMs = stall.max / 1e6;
      log.info(`longest extension-host event-loop stall during the run: ${maxMs.toFixed(1)} ms (p99 ${(stall.percentile(99) / 1e6).toFixed(1)} ms)`);
      this.active.delete(entry);
      this.updateStatus();
      this.changed.fire();
    }
  }

  /**
   * Scores a generation-only run with a chosen judge, with progress. The judge is resolved as the
   * core will resolve it (run.json's models file, else the default provider) and its endpoint
   * approved first, whether or not the run's whole configuration still resolves.
   */
  async score(runDir: string, options: Omit<ScoreOptions, 'signal' | 'onProgress' | 'log' | 'keyResolver' | 'env' | 'allowEndpoints'>): Promise<void> {
    const env = runEnvironment();
    let allowEndpoints: string[] | undefined;
    try {
      const judge = await resolveScoreJudge(runDir, { ...options, env });
      allowEndpoints = await this.authorize(`scoring ${basename(runDir)}`, [{ model: judge, role: 'judge' }], readRunJsonIfAny(runDir)?.config?.cwd, env);
    } catch (err) {
      this.reportError(err, `Score ${basename(runDir)}`);
      return;
    }
    if (!allowEndpoints) return;
    const entry: ActiveRun = { label: `Score ${basename(runDir)}`, controller: new AbortController() };
    this.active.add(entry);
    this.updateStatus();
    const log = coreLogger(this.log, `[${basename(runDir)}] `);
    try {
      const s = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Alignment Workbench: scoring ${basename(runDir)} with ${options.judgeModel}`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => entry.controller.abort());
          return runInWorker<ScoreSummary>({ kind: 'score', runDir, options: { ...options, allowEndpoints }, env: { ...env }, registry: localRegistryPath() }, {
            signal: entry.controller.signal, log, keyResolver: this.keyResolver,
            onProgress: (p) => { entry.progress = p; progress.report({ message: progressMessage(p) }); this.updateStatus(); },
          });
        },
      );
      const outcome = describeOutcome({
        counts: s.counts, measured: s.measured, ...(s.firstJudgeError ? { firstJudgeError: s.firstJudgeError } : {}), judgeModel: s.judgeModel, scoreLater: false,
        order: s.order, rejudge: 'Score Run again, choosing "Rows not scored yet and judge errors"',
      });
      for (const l of outcome.measuredLines) log.info(`  ${l}`);
      if (outcome.judgeProblem) log.warn(outcome.judgeProblem);
      const head = `Alignment Workbench: scored ${s.scored} of ${s.attempted} rows of ${basename(runDir)} with ${s.judgeModel}${s.errors ? ` (${s.errors} judge errors)` : ''}.`;
      const choice = outcome.mostVerdictsFailed
        ? await vscode.window.showErrorMessage(`${head} ${outcome.judgeProblem}`, 'Show Log', 'Open Results')
        : outcome.judgeProblem
          ? await vscode.window.showWarningMessage(`${head} ${measuredSentence({ measured: s.measured, scoreLater: false })} ${outcome.judgeProblem}`, 'Open Results', 'Show Log')
          : await vscode.window.showInformationMessage(`${head} ${measuredSentence({ measured: s.measured, scoreLater: false })}`, 'Open Results');
      if (choice === 'Show Log') this.log.show();
      else if (choice) await vscode.commands.executeCommand('alignmentWorkbench.openResults', vscode.Uri.file(runDir));
    } catch (err) {
      this.reportError(err, entry.label);
    } finally {
      this.active.delete(entry);
      this.updateStatus();
      this.changed.fire();
    }
  }

  private report(s: RunSummary, label: string, order?: { models: string[]; personas: string[] }): void {
    const c = s.counts;
    const tail = `${c.done}/${c.total} done, ${c.errors} generation errors, ${c.judge_errors} judge errors${c.judge_pending ? `, ${c.judge_pending} not judged yet` : ''}`;
    const outcome = describeOutcome({
      counts: c, measured: s.measured, ...(s.firstJudgeError ? { firstJudgeError: s.firstJudgeError } : {}), judgeModel: s.judgeModel, scoreLater: s.scoreLater,
      ...(order ? { order } : {}), rejudge: 'Score Run on this run, choosing "Rows not scored yet and judge errors"',
    });
    // The whole picture goes to the log; the notification carries what fits.
    this.log.info(`${label}: ${s.status}: ${tail}`);
    if (outcome.measuredLines.length) {
      this.log.info(`${label}: attack success per model × persona (successful attacks / answers judged):`);
      for (const l of outcome.measuredLines) this.log.info(`  ${l}`);
    }
    if (outcome.judgeProblem) (outcome.mostVerdictsFailed ? this.log.error : this.log.warn).call(this.log, `${label}: ${outcome.judgeProblem}`);
    const measured = measuredSentence(s);
    const uri = vscode.Uri.file(s.runDir);
    const open = async (choice: string | undefined) => {
      if (choice === 'Open Results') await vscode.commands.executeCommand('alignmentWorkbench.openResults', uri);
      else if (choice === 'Open Folder') await vscode.commands.executeCommand('revealInExplorer', uri);
      else if (choice === 'Resume') await vscode.commands.executeCommand('alignmentWorkbench.resumeRun', uri);
      else if (choice === 'Score Run') await vscode.commands.executeCommand('alignmentWorkbench.scoreRun', uri);
      else if (choice === 'Show Log') this.log.show();
    };
    if (s.fatal) {
      void vscode.window.showErrorMessage(`Alignment Workbench: ${label} stopped: ${s.fatal}. ${tail}; what was done is kept.`, 'Open Results', 'Show Log').then(open);
    } else if (s.status === 'cancelled' || (s.status !== 'complete' && (c.done < c.total || c.errors > 0))) {
      void vscode.window.showWarningMessage(`Alignment Workbench: ${label} ${s.status === 'cancelled' ? 'cancelled' : 'incomplete'}: ${tail}. Resume Run completes it.${outcome.judgeProblem ? ` ${outcome.judgeProblem}` : ''}`, 'Resume', 'Open Results', 'Show Log').then(open);
    } else if (outcome.mostVerdictsFailed) {
      void vscode.window.showErrorMessage(`Alignment Workbench: ${label} finished, but ${outcome.judgeProblem}`, 'Score Run', 'Show Log', 'Open Results').then(open);
    } else if (outcome.judgeProblem) {
      void vscode.window.showWarningMessage(`Alignment Workbench: ${label} finished: ${tail}. ${measured} ${outcome.judgeProblem}`, 'Score Run', 'Open Results', 'Show Log').then(open);
    } else {
      void vscode.window.showInformationMessage(`Alignment Workbench: ${label} finished: ${tail}. ${measured}`, 'Open Results', 'Open Folder').then(open);
    }
  }

  private reportError(err: unknown, label: string): void {
    const message = redact(err instanceof Error ? err.message : String(err));
    this.log.error(`${label}: ${message}`);
    const known = (err instanceof WorkerJobError && err.known) || isExpectedError(err);
    void vscode.window.showErrorMessage(`Alignment Workbench: ${label} did not run: ${message.split('\n').slice(0, 6).join(' ')}`, 'Show Log').then((c) => { if (c) this.log.show(); });
    if (!known && err instanceof Error && err.stack) this.log.error(redact(err.stack));
  }

  /** Cancels every run and scoring pass going on; returns how many there were. */
  cancelAll(): number {
    for (const r of this.active) r.controller.abort();
    return this.active.size;
  }

  dispose(): void {
    this.cancelAll();
    this.statusItem.dispose();
    this.changed.dispose();
  }
}
