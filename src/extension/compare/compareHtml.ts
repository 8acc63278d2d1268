// The Compare Runs webview's HTML document (no vscode import, so a test can parse it).
import { webviewDocument } from '../webviewCsp';

/** The shell: a CSP allowing only our nonce'd bundle and the extension's styles; data arrives by message. */
export function renderCompareHtml(o: { cspSource: string; nonce: string; scriptUri: string; styleUris: string[] }): string {
  return webviewDocument({ ...o, title: 'Compare Runs', loading: 'Comparing runs…', appClass: 'cmpv' });
}
