import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { listRuns, runTime, type RunInfo } from '../../core/results/runs';

/** Finds `results/<run>/` folders anywhere in the workspace (not just at the root). */
const RUN_FILES_GLOB = '**/results/*/{run.json,partials.jsonl}';
const EXCLUDE = '{**/node_modules/**,**/.git/**}';

export class RunItem extends vscode.TreeItem {
  constructor(readonly run: RunInfo, showFolder: string | undefined) {
    super(run.runId, vscode.TreeItemCollapsibleState.None);
    const when = runTime(run);
    const date = when ? new Date(when).toLocaleString() : '';
    this.description = [run.status, runCounts(run), date, showFolder].filter(Boolean).join(' · ');
    // Plain text only (no Markdown): run ids and model names come from files.
    this.tooltip = [
      `${run.runId} — ${run.status}${run.recordedStatus && run.recordedStatus !== run.status ? ` (recorded: ${run.recordedStatus})` : ''}`,
      runCounts(run),
      `models: ${run.models.join(', ') || '?'}`,
      `personas: ${run.personas.join(', ') || '?'}`,
      `judge: ${run.judgeModel ?? '—'}`,
      run.dir,
    ].join('\n');
    this.resourceUri = vscode.Uri.file(run.dir);
    this.contextValue = `awbRun.${run.status}`;
    this.iconPath = new vscode.ThemeIcon(
      run.status === 'complete' ? 'pass' : run.status === 'running' ? 'sync~spin' : 'warning',
    );
    this.command = { command: 'alignmentWorkbench.openResults', title: 'Open Results', arguments: [this] };
  }
}

/** `done/total`, and errors, as run.json last counted; while running, the rows written so far. */
export function runCounts(run: RunInfo): string {
  const total = run.total ?? '?';
  if (run.status === 'running' || run.done === null) return `${run.rows}/${total} rows`;
  return `${run.done}/${total} done${run.errors ? `, ${run.errors} errors` : ''}`;
}

/** The Runs view: every run folder in the workspace, newest first. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunItem>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunItem | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private hasRunning = false;

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher(RUN_FILES_GLOB);
    const later = () => this.refreshSoon();
    this.disposables.push(watcher, watcher.onDidCreate(later), watcher.onDidChange(later), watcher.onDidDelete(later),
      vscode.workspace.onDidChangeWorkspaceFolders(later));
    // A running run's counts change with every row; refresh them while any run is going.
    this.poll = setInterval(() => { if (this.hasRunning) this.emitter.fire(); }, 5000);
  }

  refresh(): void {
    this.emitter.fire();
  }

  private refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.emitter.fire(), 500);
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  async getChildren(parent?: RunItem): Promise<RunItem[]> {
    if (parent) return [];
    let runs: RunInfo[];
    try {
      runs = await findRuns();
    } catch (e) {
      this.log.error(`Runs view: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
    this.hasRunning = runs.some((r) => r.status === 'running');
    const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    return runs.map((r) => new RunItem(r, multi ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(r.dir))?.name : undefined));
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearInterval(this.poll);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Every run in the workspace's `results/` folders, newest first. */
export async function findRuns(): Promise<RunInfo[]> {
  const files = await vscode.workspace.findFiles(RUN_FILES_GLOB, EXCLUDE, 5000);
  const resultsDirs = new Set(files.map((f) => dirname(dirname(f.fsPath))));
  for (const f of vscode.workspace.workspaceFolders ?? []) resultsDirs.add(vscode.Uri.joinPath(f.uri, 'results').fsPath);
  const runs = (await Promise.all([...resultsDirs].map((d) => listRuns(d)))).flat();
  return runs.sort((a, b) => runTime(b) - runTime(a) || (a.runId < b.runId ? 1 : -1));
}
