import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { makeNonce, renderResultsHtml, resultsWebviewOptionsFor } from '../../src/extension/results/panel/html';

const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
function render(nonce = makeNonce()) {
  const html = renderResultsHtml({ cspSource, nonce, scriptUri: `${cspSource}/ext/dist/webview.js`, styleUri: `${cspSource}/ext/media/results.css`, panelId: '0123abcd' });
  return { html, nonce, doc: new JSDOM(html).window.document };
}

function csp(doc: Document): Map<string, string[]> {
  const metas = [...doc.querySelectorAll('meta[http-equiv="Content-Security-Policy"]')];
  assert.equal(metas.length, 1, 'exactly one CSP meta tag');
  const out = new Map<string, string[]>();
  for (const d of metas[0]!.getAttribute('content')!.split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

test('CSP: default-src none, scripts only by nonce, images and styles only from the extension', () => {
  const { doc, nonce } = render();
  const head = doc.head.firstElementChild;
  // The CSP must come before anything it governs.
  const first = [...doc.head.children].findIndex((e) => e.getAttribute('http-equiv') === 'Content-Security-Policy');
  const firstResource = [...doc.head.children].findIndex((e) => e.tagName === 'LINK' || e.tagName === 'SCRIPT');
  assert.ok(head && first >= 0 && first < firstResource);
  const p = csp(doc);
  assert.deepEqual(p.get('default-src'), ["'none'"]);
  assert.deepEqual(p.get('script-src'), [`'nonce-${nonce}'`]);
  assert.deepEqual(p.get('img-src'), [cspSource]);
  assert.deepEqual(p.get('style-src'), [cspSource, `'nonce-${nonce}'`]);
  assert.deepEqual(p.get('font-src'), [cspSource]);
  assert.deepEqual(p.get('base-uri'), ["'none'"]);
  assert.deepEqual(p.get('form-action'), ["'none'"]);
  assert.equal(p.get('connect-src'), undefined, 'no network: connect-src falls back to none');
  const all = [...p.values()].flat();
  for (const bad of ["'unsafe-inline'", "'unsafe-eval'", "'wasm-unsafe-eval'", '*', 'data:', 'blob:', 'https:', 'http:']) {
    assert.ok(!all.includes(bad), `CSP must not allow ${bad}`);
  }
});

test('every script carries the nonce and comes from the bundle; no inline code or handlers', () => {
  const { doc, nonce } = render();
  const scripts = [...doc.querySelectorAll('script')];
  assert.equal(scripts.length, 1);
  for (const s of scripts) {
    assert.equal(s.getAttribute('nonce'), nonce);
    assert.equal(s.getAttribute('src'), `${cspSource}/ext/dist/webview.js`);
    assert.equal(s.textContent, '', 'no inline script');
  }
  for (const e of doc.querySelectorAll('*')) {
    for (const a of e.getAttributeNames()) assert.ok(!a.startsWith('on'), `${e.tagName} has ${a}`);
  }
  assert.equal(doc.querySelector('link[rel=stylesheet]')?.getAttribute('nonce'), nonce);
  assert.equal(doc.body.dataset.panelId, '0123abcd');
});

test('a fresh nonce on every render, from 128 random bits', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { nonce, html } = render();
    assert.ok(!seen.has(nonce));
    seen.add(nonce);
    assert.equal(Buffer.from(nonce, 'base64').length, 16);
    assert.ok(html.includes(`'nonce-${nonce}'`));
  }
  const a = render(), b = render();
  assert.notEqual(a.html, b.html);
});

test('attribute values are escaped and a bad panel id is left out', () => {
  const html = renderResultsHtml({ cspSource, nonce: 'n', scriptUri: 'x"><script>alert(1)</script>', styleUri: 's', panelId: '"><svg onload=alert(1)>' });
  const doc = new JSDOM(html).window.document;
  assert.equal(doc.querySelectorAll('script').length, 1);
  assert.equal(doc.querySelector('svg'), null);
  assert.equal(doc.body.getAttribute('data-panel-id'), null);
});

test('panel options: scripts only; no command URIs or forms; resources only from dist/ and media/', () => {
  const o = resultsWebviewOptionsFor();
  assert.equal(o.enableScripts, true);
  assert.equal(o.enableCommandUris, false);
  assert.equal(o.enableForms, false);
  assert.deepEqual(o.localResourceRoots, ['dist', 'media']);
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('the webview source never turns strings into markup or code', () => {
  const root = join(__dirname, '..', '..');
  const sources = [...files(join(root, 'webview')), join(root, 'src', 'extension', 'results', 'panel', 'html.ts')].filter((f) => f.endsWith('.ts'));
  assert.ok(sources.length >= 8);
  const forbidden = /\binnerHTML\b|\bouterHTML\b|\binsertAdjacentHTML\b|\bdocument\.write(ln)?\b|\beval\s*\(|\bnew\s+Function\b|\bcreateContextualFragment\b|\bsetHTMLUnsafe\b|\.srcdoc\b|\.(href|src)\s*=/;
  for (const f of sources) {
    const text = readFileSync(f, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (/^\s*\/\//.test(line)) return;
      assert.ok(!forbidden.test(line), `${f}:${i + 1}: ${line.trim()}`);
    });
  }
});

test('the panel host has no path from a webview message to a command, a URL opener or a secret', () => {
  const dir = join(__dirname, '..', '..', 'src', 'extension', 'results', 'panel');
  const sources = files(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(sources.length >= 3);
  for (const f of sources) {
    const text = readFileSync(f, 'utf8');
    for (const bad of [/executeCommand/, /openExternal/, /\.secrets\b/, /SecretStorage/, /getConfiguration/, /process\.env/]) {
      assert.ok(!bad.test(text), `${f} mentions ${bad}`);
    }
  }
});
