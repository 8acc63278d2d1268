// The results webview's HTML document. No vscode import, so tests parse it with jsdom.
import { webviewDocument } from '../../webviewCsp';

export { makeNonce } from '../../webviewCsp';

/**
 * The results panel's webview options, as plain data (the panel turns folders into Uris): scripts
 * on, command URIs and forms off, resources only from the extension's dist/ and media/ — not
 * the workspace, which VS Code would allow by default.
 */
export function resultsWebviewOptionsFor() {
  return {
    enableScripts: true,
    enableCommandUris: false,
    enableForms: false,
    /** Folders of the extension, relative to its root. */
    localResourceRoots: ['dist', 'media'],
    // 100,000 rows are costly to stream again each time the tab is shown.
    retainContextWhenHidden: true,
  } as const;
}

export interface ResultsHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  /** `asWebviewUri` of dist/webview.js and media/results.css. */
  scriptUri: string;
  styleUri: string;
  /** Random hex id the webview saves in its state so the host can restore the panel. */
  panelId?: string;
}

/**
 * The shell document: a CSP that allows only our nonce'd bundle and styles from the extension,
 * no inline script, no network, images only from the extension. Every piece of run data arrives
 * later by message and is inserted as text.
 */
export function renderResultsHtml(o: ResultsHtmlOptions): string {
  const panel = o.panelId && /^[0-9a-f]{1,64}$/.test(o.panelId) ? { 'data-panel-id': o.panelId } : undefined;
  return webviewDocument({
    cspSource: o.cspSource, nonce: o.nonce, scriptUri: o.scriptUri, styleUris: [o.styleUri], styleNonce: true,
    title: 'Results', loading: 'Loading results…', ...(panel ? { bodyAttributes: panel } : {}),
  });
}
