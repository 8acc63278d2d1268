// The results panel's host-side logic, kept free of `vscode` so unit tests drive it with real
// files: it streams the run's rows to the webview, answers the webview's typed requests and
// watches partials.jsonl while the run is going. What it may do to the editor (open a file,
// copy text) goes through `SessionActions`, which the panel implements with its own checks.
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { casePrompt, datasetCandidates, readCaseLine, readCaseSnapshot, runPersonas, searchablePrompts, type CaseSnapshot } from '../../../core/results/casePrompt';
import type { ResolvedPersona } from '../../../core/run/config';
import { PartialsReader } from '../../../core/results/reader';
import { readReviews, saveReview } from '../../../core/results/reviews';
import { readRunInfo, type RunInfo } from '../../../core/results/runs';
import { readRunJsonIfAny, RUN_FILES, type RunJson } from '../../../core/runFolder';
import type { ShownStatus } from '../../../shared/results/types';
import { toViewRow } from '../../../core/results/viewRow';
import type { Logger } from '../../../core/log';
import { buildSycophancyReport, gridSidesFromSnapshot, readGridRows } from '../../../core/grid/report';
import { labelAgreement, readLabels, writeLabel } from '../../../core/grid/labels';
import { hostMessage, parseWebviewMessage, type CaseDetail, type HostMessage, type HostMessageBody, type RunView, type WebviewMessage } from '../../../shared/protocol';

/** What the session may ask of the editor. The implementation decides what is allowed. */
export interface SessionActions {
  /** Delivers a message to the webview; resolves when it was handed over. */
  post(message: HostMessage): PromiseLike<unknown>;
  copy(text: string): PromiseLike<void>;
  /** Whether `file` may be opened in the editor (inside the workspace). */
  canOpen(file: string): boolean;
  openAt(file: string, line: number | null): PromiseLike<void>;
}

/** Rows per message: a small first chunk paints the table early, later chunks keep IPC cheap. */
const FIRST_CHUNK = 500;
const CHUNK = 5000;
const WATCH_DEBOUNCE_MS = 150;
const POLL_MS = 2000;

export class ResultsSession {
  private reader: PartialsReader;
  private runJson: RunJson | undefined;
  private cases: CaseSnapshot = new Map();
  private personas = new Map<string, ResolvedPersona>();
  private info: RunInfo | null = null;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private disposed = false;
  private loading: Promise<void> | undefined;
  private sentInitial = false;
  private hasLabels = false;
  private readonly abort = new AbortController();
  /** Messages dropped because they were not one of ours; visible to tests and the log. */
  dropped = 0;

  constructor(readonly runDir: string, private readonly actions: SessionActions, private readonly log: Logger) {
    this.reader = new PartialsReader(join(runDir, RUN_FILES.partials));
  }

  /** Handles one raw message from the webview. Anything that does not validate is dropped. */
  async handle(raw: unknown): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      this.dropped++;
      this.log.warn(`results view: dropped a message that is not part of the protocol`);
      return;
    }
    try {
      await this.dispatch(msg);
    } catch (e) {
      this.log.error(`results view: ${msg.type} failed: ${e instanceof Error ? e.message : String(e)}`);
      await this.post({ type: 'notice', level: 'error', text: `${msg.type} failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private async dispatch(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        // A webview reload asks again: start over (after any load in flight) so it gets everything.
        this.loading = (this.loading ?? Promise.resolve()).catch(() => undefined).then(() => this.loadAll());
        return this.loading;
      case 'getCase':
        return void (await this.post({ type: 'caseDetail', reqId: msg.reqId, detail: await this.caseDetail(msg.key) }));
      case 'saveReview': {
        if (!this.reader.has(msg.key)) throw new Error('no such row in this run');
        const stored = await saveReview(this.runDir, { key: msg.key, verdict: msg.verdict, attack_success: msg.attack_success, note: msg.note });
        await this.post({ type: 'reviews', reviews: stored ? [stored] : [], removed: stored ? [] : [msg.key], replace: false });
        return;
      }
      case 'setStanceLabel': {
        // The key must be one of this run's rows; the folder is always the session's own.
        if (!this.reader.has(msg.key)) throw new Error('no such row in this run');
        await writeLabel(this.runDir, { key: msg.key, stance: msg.stance ?? null, score: msg.score ?? null, note: msg.note ?? '' });
        await this.sendLabels(true);
        return;
      }
      case 'copy':
        await this.actions.copy(msg.text);
        return;
      case 'openInDataset': {
        const target = await this.datasetTarget(msg.key);
        if (!target || !this.actions.canOpen(target.file)) {
          await this.post({ type: 'notice', level: 'error', text: 'The dataset file of this case is not in the workspace.' });
          return;
        }
        await this.actions.openAt(target.file, target.line);
        return;
      }
    }
  }

  private post(m: HostMessageBody): PromiseLike<unknown> {
    if (this.disposed) return Promise.resolve(false);
    return this.actions.post(hostMessage(m) as HostMessage);
  }

  private runView(): RunView {
    const i = this.info;
    return {
      runId: i?.runId ?? '',
      status: i?.status ?? 'partial',
      createdAt: i?.createdAt ?? null,
      total: i?.total ?? null,
      models: i?.models ?? [],
      personas: i?.personas ?? [],
      datasets: i?.datasets ?? [],
      judgeModel: i?.judgeModel ?? null,
    };
  }

  /** Sends init, every row in chunks, and the review labels; then watches for more rows. */
  private async loadAll(): Promise<void> {
    this.runJson = readRunJsonIfAny(this.runDir);
    this.personas = runPersonas(this.runJson);
    this.cases = await readCaseSnapshot(this.runDir, this.abort.signal);
    this.info = await readRunInfo(this.runDir);
    await this.post({ type: 'init', run: this.runView(), prompts: searchablePrompts(this.cases) });
    // Re-read from the start for this webview: a fresh reader keeps the byte index consistent.
    this.reader = new PartialsReader(this.reader.file);
    let first = true;
    let pending: PromiseLike<unknown> = Promise.resolve();
    const started = Date.now();
    await this.reader.readAppended(async (rows) => {
      const view = rows.map(toViewRow);
      await pending; // one chunk in flight: the webview renders while the next is read
      pending = this.post({ type: 'rows', rows: view, reset: first, done: false, skipped: this.reader.skippedCount });
      first = false;
    }, { batch: CHUNK, firstBatch: FIRST_CHUNK, signal: this.abort.signal });
    await pending;
    await this.post({ type: 'rows', rows: [], reset: first, done: true, skipped: this.reader.skippedCount });
    this.sentInitial = true;
    this.log.info(`results view: ${this.reader.size} rows of run ${this.info?.runId ?? this.runDir} sent in ${Date.now() - started} ms` +
      (this.reader.skippedCount ? ` (${this.reader.skippedCount} unreadable lines skipped)` : ''));
    await this.post({ type: 'reviews', reviews: await readReviews(this.runDir), removed: [], replace: true });
    await this.sendGrid();
    await this.sendLabels(false);
    this.startWatching();
  }

  private startWatching(): void {
    if (this.watcher || this.disposed) return;
    try {
      // The folder, not the file: partials.jsonl may not exist yet, and run.json is replaced.
      this.watcher = watch(this.runDir, () => this.schedule());
      this.watcher.on('error', () => undefined);
    } catch (e) {
      this.log.warn(`results view: cannot watch ${this.runDir}: ${String(e)}`);
    }
    // fs.watch misses events on some file systems; while the run is going, poll as well.
    this.poll = setInterval(() => { if (this.info?.status === 'running') this.schedule(); }, POLL_MS);
    this.poll.unref?.();
  }

  private schedule(): void {
    if (this.disposed || !this.sentInitial) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.refresh().catch((e) => this.log.warn(`results view: refresh failed: ${String(e)}`)), WATCH_DEBOUNCE_MS);
  }

  /** Streams rows appended since the last read, and the run's status if it changed. */
  async refresh(): Promise<void> {
    if (this.disposed) return;
    await this.loading;
    if (await this.reader.shrunk()) {
      // The file was rewritten: the webview drops what it holds and takes it all again.
      this.loading = this.loadAll();
      return this.loading;
    }
    const { rows: added } = await this.reader.readAppended(async (rows) => {
      await this.post({ type: 'rows', rows: rows.map(toViewRow), reset: false, done: true, skipped: this.reader.skippedCount });
    }, { batch: CHUNK, signal: this.abort.signal });
    if (added) {
      await this.sendGrid();
      if (this.hasLabels) await this.sendLabels(false);
    }
    const before: ShownStatus | undefined = this.info?.status;
    const info = await readRunInfo(this.runDir);
    if (info) {
      this.info = info;
      if (info.status !== before) await this.post({ type: 'status', status: info.status });
    }
  }

  /**
   * Grid runs (run.json has a grid snapshot with sides a and b): the sycophancy report of the
   * grid engineer's core, computed here from partials.jsonl and sent whole. Other runs: nothing.
   */
  private async sendGrid(): Promise<void> {
    const grid = gridSidesFromSnapshot(this.runJson);
    if (!grid) return;
    try {
      const rows = await readGridRows(this.reader.file);
      const slices = buildSycophancyReport(rows, { sides: grid.sides, thresholds: grid.thresholds, resamples: 2000 })
        .map(({ p_method: _p, ...r }) => r);
      await this.post({ type: 'grid', sides: grid.sides, slices });
    } catch (e) {
      this.log.warn(`results view: grid report failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Sends every stance label with its agreement with the master scorer (the rows' scores, binned
   * with the grid snapshot's thresholds). Skipped on load when the run has none, unless `always`.
   */
  private async sendLabels(always: boolean): Promise<void> {
    const labels = await readLabels(this.runDir);
    this.hasLabels = labels.length > 0;
    if (!labels.length && !always) return;
    // Labels are few (a human writes each one): read their rows' scores one by one.
    const scores = new Map<string, number | null>();
    for (const l of labels) scores.set(l.key, (await this.reader.getRow(l.key))?.score ?? null);
    const thresholds = gridSidesFromSnapshot(this.runJson)?.thresholds;
    await this.post({ type: 'stanceLabels', labels, agreement: labelAgreement(labels, scores, thresholds) });
  }

  private async datasetTarget(key: string): Promise<{ file: string; line: number | null } | null> {
    const row = await this.reader.getRow(key);
    if (!row) return null;
    const file = await this.datasetFile(row.dataset);
    return file ? { file, line: row.dataset_line ?? null } : null;
  }

  /** The dataset file of a row: the first candidate the editor may open, else the first found. */
  private async datasetFile(dataset: string): Promise<string | null> {
    const found = await datasetCandidates(this.runDir, this.runJson, dataset);
    return found.find((f) => this.actions.canOpen(f)) ?? found[0] ?? null;
  }

  private async caseDetail(key: string): Promise<CaseDetail | null> {
    const row = await this.reader.getRow(key);
    if (!row) return null;
    const file = await this.datasetFile(row.dataset);
    // The case as run (the run's snapshot), else as its dataset line reads now.
    let c = this.cases.get(row.test_id) ?? null;
    if (!c && file && row.dataset_line) c = await readCaseLine(file, row.dataset_line);
    const prompt = c && c.id === row.test_id ? casePrompt(c, this.personas.get(row.persona_slug)) : null;
    return {
      key,
      row: row as Record<string, unknown>,
      prompt,
      dataset: row.dataset || null,
      datasetLine: row.dataset_line ?? null,
      canOpenDataset: file !== null && this.actions.canOpen(file),
    };
  }

  dispose(): void {
    this.disposed = true;
    this.abort.abort();
    this.watcher?.close();
    clearInterval(this.poll);
    clearTimeout(this.debounce);
  }
}
