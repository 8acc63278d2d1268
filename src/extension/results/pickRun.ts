import * as vscode from 'vscode';
import { runTime, type RunInfo } from '../../core/results/runs';
import { findRuns, runCounts } from './runsTree';

/**
 * The one run picker (Open Results, Resume Run, Score Run, Compare Runs…): the workspace's run
 * folders that pass `filter`, newest first; the picked run's folder. With none to offer, says
 * `none` and returns undefined.
 */
export async function pickRun(options: { title: string; placeHolder?: string; filter?: (run: RunInfo) => boolean; none: string }): Promise<string | undefined> {
  const runs = (await findRuns()).filter(options.filter ?? (() => true));
  if (!runs.length) {
    void vscode.window.showInformationMessage(options.none);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({
      label: r.runId,
      description: [r.name, r.status, runCounts(r), runTime(r) ? new Date(runTime(r)).toLocaleString() : ''].filter(Boolean).join(' · '),
      detail: vscode.workspace.asRelativePath(r.dir),
      dir: r.dir,
    })),
    { title: options.title, ...(options.placeHolder ? { placeHolder: options.placeHolder } : {}) },
  );
  return pick?.dir;
}
