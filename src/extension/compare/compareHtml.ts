// The Compare Runs webview's HTML document (no vscode import, so a test can parse it).
import { escapeAttr, webviewCsp } from '../webviewCsp';

/** The shell: a CSP allowing only our nonce'd bundle and the extension's styles; data arrives by message. */
export function renderCompareHtml(o: { cspSource: string; nonce: string; scriptUri: string; styleUris: string[] }): string {
  const csp = webviewCsp({ cspSource: o.cspSource, nonce: o.nonce });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.styleUris.map((u) => `<link rel="stylesheet" href="${escapeAttr(u)}">`).join('\n')}
<title>Compare Runs</title>
</head>
<body>
<div id="app" class="cmpv" aria-live="polite"><p class="loading">Comparing runs…</p></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}
