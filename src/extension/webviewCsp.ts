// The Content-Security-Policy every webview document of ours opens with (no vscode import, so
// tests parse the documents with jsdom). One place, so the results and compare views cannot drift.
import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce: 128 random bits from the OS CSPRNG (never Math.random). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Only our nonce'd bundle runs; styles, fonts and images come from the extension; no inline
 * script, no network, no forms, no frames. `styleNonce` also allows nonce'd style elements.
 */
export function webviewCsp(o: { cspSource: string; nonce: string; styleNonce?: boolean }): string {
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
