import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { makeNonce, renderResultsHtml, resultsWebviewOptionsFor } from './html';
import { ResultsSession, type SessionActions } from './resultsSession';
import type { HostMessage } from '../../../shared/protocol';

const STATE_KEY = 'alignmentWorkbench.results.panels';

/** Panel options (see resultsWebviewOptionsFor) with Uris. */
function resultsWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  const o = resultsWebviewOptionsFor();
  return { ...o, localResourceRoots: o.localResourceRoots.map((d) => vscode.Uri.joinPath(extensionUri, d)) };
}

/** True when `file` (after resolving symlinks) is inside one of the open workspace folders. */
function insideWorkspace(file: string): boolean {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return false;
  }
  return (vscode.workspace.workspaceFolders ?? []).some((f) => {
    let root: string;
    try {
      root = realpathSync(f.uri.fsPath);
    } catch {
      return false;
    }
    return real === root || real.startsWith(root.endsWith('/') || root.endsWith('\\') ? root : root + (process.platform === 'win32' ? '\\' : '/'));
  });
}

/**
 * The results editor tab of one run folder. One panel per run: opening the same run again
 * reveals it. The webview's state holds only a random panel id; the run folder it maps to stays
 * in the host's workspace state, so a webview can never point the host at another folder.
 */
export class ResultsPanel {
  static readonly viewType = 'alignmentWorkbench.results';
  private static readonly panels = new Map<string, ResultsPanel>();
  static log: vscode.LogOutputChannel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly session: ResultsSession;

  /** Opens (or reveals) the results of a run folder. */
  static createOrShow(context: vscode.ExtensionContext, runDir: string): ResultsPanel {
    const existing = ResultsPanel.panels.get(runDir);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      ResultsPanel.viewType,
      `Results: ${basename(runDir)}`,
      vscode.ViewColumn.Active,
      resultsWebviewOptions(context.extensionUri),
    );
    return new ResultsPanel(panel, context, runDir, randomBytes(12).toString('hex'));
  }

  /** Restores a panel after a reload, from the panel id its webview saved. */
  static async revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, state: unknown): Promise<void> {
    const id = state && typeof state === 'object' ? (state as { panelId?: unknown }).panelId : undefined;
    const map = context.workspaceState.get<Record<string, string>>(STATE_KEY, {});
    const runDir = typeof id === 'string' ? map[id] : undefined;
    if (!runDir || !existsSync(runDir) || ResultsPanel.panels.has(runDir)) {
      panel.dispose();
      return;
    }
    panel.webview.options = resultsWebviewOptions(context.extensionUri);
    new ResultsPanel(panel, context, runDir, id as string);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    readonly runDir: string,
    private readonly panelId: string,
  ) {
    ResultsPanel.panels.set(runDir, this);
    const log = ResultsPanel.log ?? vscode.window.createOutputChannel('Alignment Workbench', { log: true });
    const actions: SessionActions = {
      post: (m: HostMessage) => panel.webview.postMessage(m),
      copy: (text) => vscode.env.clipboard.writeText(text),
      canOpen: insideWorkspace,
      openAt: async (file, line) => {
        const pos = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
        await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos), preview: true, viewColumn: vscode.ViewColumn.Beside });
      },
    };
    this.session = new ResultsSession(runDir, actions, log);
    void this.remember();
    this.render();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.session.handle(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private async remember(): Promise<void> {
    const map = { ...this.context.workspaceState.get<Record<string, string>>(STATE_KEY, {}) };
    map[this.panelId] = this.runDir;
    // Keep the map small: drop entries of panels that are not open any more, keeping a few.
    const open = new Set([...ResultsPanel.panels.values()].map((p) => p.panelId));
    const keys = Object.keys(map);
    for (const k of keys.slice(0, Math.max(0, keys.length - 20))) if (!open.has(k)) delete map[k];
    await this.context.workspaceState.update(STATE_KEY, map);
  }

  /** Writes the shell HTML with a new nonce; the webview then asks for its data. */
  private render(): void {
    const webview = this.panel.webview;
    const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...p)).toString();
    webview.html = renderResultsHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: uri('dist', 'webview.js'),
      styleUri: uri('media', 'results.css'),
      panelId: this.panelId,
    });
  }

  dispose(): void {
    ResultsPanel.panels.delete(this.runDir);
    this.session.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  /** Run folder from a file inside it (partials.jsonl, results.csv …) or the folder itself. */
  static runDirOf(fsPath: string): string {
    try {
      return statSync(fsPath).isDirectory() ? fsPath : dirname(fsPath);
    } catch {
      return dirname(fsPath);
    }
  }
}
