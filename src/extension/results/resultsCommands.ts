import * as vscode from 'vscode';
import { ResultsPanel } from './panel/resultsPanel';
import { RunItem, findRuns, runCounts, type RunsTreeProvider } from './runsTree';
import { runTime } from '../../core/results/runs';

/** A run folder from what a command was invoked on: a tree item, a file or folder URI, or a path. */
function runDirFrom(arg: unknown): string | undefined {
  if (arg instanceof RunItem) return arg.run.dir;
  if (arg instanceof vscode.Uri) return ResultsPanel.runDirOf(arg.fsPath);
  if (arg && typeof arg === 'object' && 'run' in arg) {
    const dir = (arg as { run?: { dir?: unknown } }).run?.dir;
    if (typeof dir === 'string') return dir;
  }
  if (typeof arg === 'string' && arg) return ResultsPanel.runDirOf(arg);
  return undefined;
}

async function pickRun(): Promise<string | undefined> {
  const runs = await findRuns();
  if (!runs.length) {
    void vscode.window.showInformationMessage('Alignment Workbench: no runs found in this workspace’s results/ folders.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({
      label: r.runId,
      description: `${r.status} · ${runCounts(r)} · ${runTime(r) ? new Date(runTime(r)).toLocaleString() : ''}`,
      detail: vscode.workspace.asRelativePath(r.dir),
      dir: r.dir,
    })),
    { title: 'Open Results', placeHolder: 'Pick a run' },
  );
  return pick?.dir;
}

/** Open Results, and the Runs tree's item commands. */
export function registerResultsCommands(context: vscode.ExtensionContext, tree: RunsTreeProvider): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('alignmentWorkbench.openResults', async (arg?: unknown) => {
      const dir = runDirFrom(arg) ?? (await pickRun());
      if (dir) ResultsPanel.createOrShow(context, dir);
    }),
    vscode.commands.registerCommand('alignmentWorkbench.runs.refresh', () => tree.refresh()),
    vscode.commands.registerCommand('alignmentWorkbench.runs.resume', async (arg?: unknown) => {
      const dir = runDirFrom(arg) ?? (await pickRun());
      if (dir) await vscode.commands.executeCommand('alignmentWorkbench.resumeRun', dir);
    }),
    vscode.commands.registerCommand('alignmentWorkbench.runs.reveal', async (arg?: unknown) => {
      const dir = runDirFrom(arg);
      if (dir) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(dir));
    }),
  ];
}
