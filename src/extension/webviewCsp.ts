// The document every webview of ours opens with and its Content-Security-Policy (no vscode import,
// so tests parse the documents with jsdom). One place, so the results and compare views cannot drift.
import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce: 128 random bits from the OS CSPRNG (never Math.random). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Only our nonce'd bundle runs; styles, fonts and images come from the extension; no inline
 * script, no network, no forms, no frames. `styleNonce` also allows nonce'd style elements.
 */
function webviewCsp(o: { cspSource: string; nonce: string; styleNonce?: boolean }): string {
  return [
    "default-src 'none'",
    `img-src ${o.cspSource}`,
    `style-src ${o.cspSource}${o.styleNonce ? ` 'nonce-${o.nonce}'` : ''}`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
}

/**
 * A webview's shell document: the CSP, the extension's style sheets, an empty `#app` saying what is
 * loading, and our nonce'd bundle. Every piece of data arrives later by message, as text.
 */
export function webviewDocument(o: {
  cspSource: string; nonce: string; title: string; scriptUri: string; styleUris: string[];
  /** Nonce'd style sheets (the results view also adds nonce'd style elements). */
  styleNonce?: boolean;
  loading: string; appClass?: string; bodyAttributes?: Record<string, string>;
}): string {
  const csp = webviewCsp({ cspSource: o.cspSource, nonce: o.nonce, ...(o.styleNonce ? { styleNonce: true } : {}) });
  const styleNonce = o.styleNonce ? ` nonce="${escapeAttr(o.nonce)}"` : '';
  const bodyAttributes = Object.entries(o.bodyAttributes ?? {}).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.styleUris.map((u) => `<link rel="stylesheet"${styleNonce} href="${escapeAttr(u)}">`).join('\n')}
<title>${escapeAttr(o.title)}</title>
</head>
<body${bodyAttributes}>
<div id="app"${o.appClass ? ` class="${escapeAttr(o.appClass)}"` : ''} aria-live="polite"><p class="loading">${escapeAttr(o.loading)}</p></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}
