import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { groupRuns, listRuns, runTime, type RunGroup, type RunInfo } from '../../core/results/runs';
import { RUN_FILES } from '../../core/runFolder';

/** Finds `results/<run>/` folders anywhere in the workspace (not just at the root). */
const RUN_FILES_GLOB = `**/results/*/{${RUN_FILES.runJson},${RUN_FILES.partials}}`;
const EXCLUDE = '{**/node_modules/**,**/.git/**}';

export class RunItem extends vscode.TreeItem {
  /** A merged run's shard folders, shown under it. */
  shards: RunItem[] = [];

  constructor(readonly run: RunInfo, showFolder: string | undefined, group?: RunGroup) {
    // Named by what was run (the bench file, or the datasets) and by its id; a shard by its number.
    super(run.shard ? `shard ${run.shard.index}/${run.shard.count}` : run.name ? `${run.name} · ${run.runId}` : run.runId, group?.shards.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const when = runTime(run);
    const date = when ? new Date(when).toLocaleString() : '';
    const merged = run.merge ? `merged from ${group?.shards.length ?? '?'}/${run.merge.count} shards${run.merge.missingKeys ? `, ${run.merge.missingKeys} keys missing` : ''}` : '';
    this.description = [run.status, runCounts(run), merged, date, showFolder].filter(Boolean).join(' · ');
    if (group) this.shards = group.shards.map((s) => new RunItem(s, undefined));
    // Plain text only (no Markdown): run ids and model names come from files.
    this.tooltip = [
      `${run.runId} — ${run.status}${run.recordedStatus && run.recordedStatus !== run.status ? ` (recorded: ${run.recordedStatus})` : ''}`,
      ...(run.name ? [`ran: ${run.name}`] : []),
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

/** A sharded run whose shards are not merged yet: its shards, and how far they are. */
class ShardedRunItem extends vscode.TreeItem {
  readonly shards: RunItem[];

  constructor(readonly group: RunGroup, showFolder: string | undefined) {
    super(group.runId, vscode.TreeItemCollapsibleState.Expanded);
    this.shards = group.shards.map((s) => new RunItem(s, undefined));
    const complete = group.shards.filter((s) => s.status === 'complete').length;
    const status = group.shardStatus === 'complete' ? 'shards complete, not merged' : group.shardStatus ?? 'partial';
    this.description = [status, `${complete}/${group.count ?? '?'} shards complete`, showFolder].filter(Boolean).join(' · ');
    this.tooltip = `${group.runId} — a sharded run (${group.count ?? '?'} shards), not merged yet: awb merge the shard folders (docs/sharding.md)`;
    this.contextValue = 'awbShardedRun';
    this.iconPath = new vscode.ThemeIcon(group.shardStatus === 'running' ? 'sync~spin' : group.shardStatus === 'complete' ? 'pass' : 'warning');
  }
}

type RunsNode = RunItem | ShardedRunItem;

/** The Runs view: every run folder in the workspace, newest first; a sharded run's shards under it. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined | void>();
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

  getTreeItem(item: RunsNode): vscode.TreeItem {
    return item;
  }

  async getChildren(parent?: RunsNode): Promise<RunsNode[]> {
    if (parent) return parent.shards;
    let runs: RunInfo[];
    try {
      runs = await findRuns();
    } catch (e) {
      this.log.error(`Runs view: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
    this.hasRunning = runs.some((r) => r.status === 'running');
    const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const folderOf = (dir: string) => (multi ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dir))?.name : undefined);
    return groupRuns(runs).map((g) => (g.run ? new RunItem(g.run, folderOf(g.run.dir), g) : new ShardedRunItem(g, folderOf(g.shards[0]!.dir))));
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
