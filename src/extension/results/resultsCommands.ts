import * as vscode from 'vscode';
import { ResultsPanel } from './panel/resultsPanel';
import { RunItem, type RunsTreeProvider } from './runsTree';
import { pickRun } from './pickRun';
import { defineHandlers } from '../commands';

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

const NO_RUNS = 'Alignment Workbench: no runs found in this workspace’s results/ folders.';
const pickAnyRun = (): Promise<string | undefined> => pickRun({ title: 'Open Results', placeHolder: 'Pick a run', none: NO_RUNS });

/** Open Results, and the Runs tree's item commands. */
export function resultsCommands(context: vscode.ExtensionContext, tree: RunsTreeProvider) {
  return defineHandlers({
    'alignmentWorkbench.openResults': async (arg?: unknown) => {
      const dir = runDirFrom(arg) ?? (await pickAnyRun());
      if (dir) ResultsPanel.createOrShow(context, dir);
    },
    'alignmentWorkbench.runs.refresh': () => tree.refresh(),
    'alignmentWorkbench.runs.resume': async (arg?: unknown) => {
      const dir = runDirFrom(arg) ?? (await pickAnyRun());
      if (dir) await vscode.commands.executeCommand('alignmentWorkbench.resumeRun', dir);
    },
    'alignmentWorkbench.runs.reveal': async (arg?: unknown) => {
      const dir = runDirFrom(arg);
      if (dir) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(dir));
    },
  });
}
