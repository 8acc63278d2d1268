import { basename } from 'node:path';
import * as vscode from 'vscode';
import { parseCompareWebviewMessage, type CompareData, type CompareHostMessage } from '../../shared/compare';
import { runInWorker, WorkerJobError } from '../run/workerJob';
import { makeNonce } from '../webviewCsp';
import { ResultsPanel } from '../results/panel/resultsPanel';
import { RunItem } from '../results/runsTree';
import { pickRun } from '../results/pickRun';
import { defineHandlers } from '../commands';
import { CompareSession } from './compareData';
import { renderCompareHtml } from './compareHtml';

/**
 * The Compare Runs editor tab: two run folders side by side — the per model × persona summary
 * with differences and p-values, the flipped / changed / moved keys with filters, and a key's two
 * answers and two judge verdicts next to each other. Nothing here calls a model.
 */
class ComparePanel {
  static readonly viewType = 'alignmentWorkbench.compare';

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly session: CompareSession, log: vscode.LogOutputChannel) {
    const post = (m: CompareHostMessage) => void panel.webview.postMessage(m);
    panel.webview.onDidReceiveMessage(async (raw: unknown) => {
      const m = parseCompareWebviewMessage(raw);
      if (!m) return;
      if (m.type === 'ready') post({ type: 'compare', data: session.data });
      else {
        try {
          const d = await session.detail(m.key);
          if (d) post({ type: 'detail', key: m.key, ...d });
        } catch (err) {
          log.warn(`compare: detail of ${m.key}: ${String(err)}`);
          post({ type: 'error', message: `Could not read ${m.key}: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    });
  }

  /** Compares in the run worker (seconds on 100k-row runs), then opens the tab; the editor stays responsive. */
  static async open(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, baseDir: string, newDir: string): Promise<void> {
    const labels: [string, string] = [vscode.workspace.asRelativePath(baseDir), vscode.workspace.asRelativePath(newDir)];
    let data: CompareData;
    try {
      data = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Alignment Workbench: comparing ${basename(newDir)} with ${basename(baseDir)}…` },
        () => runInWorker<CompareData>({ kind: 'compare', baseDir, newDir, labels }, { log, keyResolver: async () => undefined }),
      );
    } catch (err) {
      const known = err instanceof WorkerJobError && err.known;
      if (!known) log.error(`compare: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      void vscode.window.showErrorMessage(`Alignment Workbench: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const session = new CompareSession(baseDir, newDir, data);
    const panel = vscode.window.createWebviewPanel(ComparePanel.viewType, `Compare: ${basename(baseDir)} → ${basename(newDir)}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: false,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
      retainContextWhenHidden: true,
    });
    const uri = (...p: string[]) => panel.webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, ...p)).toString();
    panel.webview.html = renderCompareHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: uri('dist', 'compareView.js'),
      styleUris: [uri('media', 'results.css'), uri('media', 'compare.css')],
    });
    new ComparePanel(panel, session, log);
    log.info(`compare: ${baseDir} → ${newDir}: ${data.headline}`);
  }
}

const NO_OTHER_RUNS = 'Alignment Workbench: no other runs found in this workspace’s results/ folders.';

/** Compare Runs… (palette, Runs view item): the item is the new run; the baseline is picked. */
export function compareCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel) {
  return defineHandlers({
    'alignmentWorkbench.compareRuns': async (arg?: unknown) => {
      let newDir: string | undefined;
      if (arg instanceof RunItem) newDir = arg.run.dir;
      else if (arg instanceof vscode.Uri) newDir = ResultsPanel.runDirOf(arg.fsPath);
      else if (typeof arg === 'string' && arg) newDir = arg;
      if (!newDir) newDir = await pickRun({ title: 'Compare Runs (1/2)', placeHolder: 'Pick the run to check (new)', none: NO_OTHER_RUNS });
      if (!newDir) return;
      const exclude = newDir;
      const baseDir = await pickRun({ title: `Compare Runs: ${basename(newDir)} against…`, placeHolder: 'Pick the baseline run (base)', filter: (r) => r.dir !== exclude, none: NO_OTHER_RUNS });
      if (!baseDir) return;
      await ComparePanel.open(context, log, baseDir, newDir);
    },
  });
}
