// Results view bench: a 100,000-row run opened in Chromium (playwright-core) with the real
// webview bundle and the real host session (ResultsSession reading partials.jsonl), wired by a
// fake VS Code webview API instead of an editor. Prints time to first paint of the table, time
// until every row is in, and the cost of filter, search and sort changes.
//
// `openResultsInPage` is exported for tests that need the webview in a plain page.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { renderResultsHtml, makeNonce } from '../src/extension/results/panel/html';
import { ResultsSession } from '../src/extension/results/panel/resultsSession';
import { noopLogger } from '../src/core/log';
import type { HostMessage } from '../src/shared/protocol';
import { makeRun } from '../test/support/makeRun';

const ROOT = resolve(__dirname, '..');
const ORIGIN = 'https://awb-webview.test';

/** Builds dist/webview.js (and the other bundles) so the page runs the current sources. */
export function buildBundles(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'esbuild.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('esbuild.mjs failed');
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export interface FakeHostPage {
  page: Page;
  session: ResultsSession;
  /** Everything the webview posted to the host, raw. */
  fromWebview: unknown[];
  /** Everything the host posted to the webview. */
  toWebview: HostMessage[];
  copied: string[];
  opened: { file: string; line: number | null }[];
  /** Console messages and page errors, for diagnosing a test. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Opens the results webview of `runDir` in a new page: the same HTML and CSP the panel renders
 * (with this page's origin as cspSource), `acquireVsCodeApi` provided by an init script, and a
 * real ResultsSession on the Node side answering its messages.
 */
export async function openResultsInPage(browser: Browser, runDir: string, opts: { state?: unknown; theme?: 'dark' | 'light'; viewport?: { width: number; height: number }; canOpen?: (f: string) => boolean } = {}): Promise<FakeHostPage> {
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const fromWebview: unknown[] = [];
  const toWebview: HostMessage[] = [];
  const copied: string[] = [];
  const opened: { file: string; line: number | null }[] = [];
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const session = new ResultsSession(runDir, {
    post: async (m) => {
      toWebview.push(m);
      // As a JSON string, like VS Code's own webview IPC (and far cheaper for playwright to pass).
      await page.evaluate((json) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(m)).catch(() => undefined);
      return true;
    },
    copy: async (t) => { copied.push(t); },
    canOpen: opts.canOpen ?? (() => true),
    openAt: async (file, line) => { opened.push({ file, line }); },
  }, noopLogger);
  await page.exposeBinding('__awbToHost', (_src, msg: unknown) => {
    fromWebview.push(msg);
    void session.handle(msg);
  });
  const theme = opts.theme ?? 'dark';
  // A string, not a function: tsx would wrap named functions in a helper the page lacks.
  await page.addInitScript({ content: `(() => {
    let saved = ${JSON.stringify(opts.state ?? null)};
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__awbToHost(m),
      getState: () => saved,
      setState: (s) => { saved = s; },
    });
    document.addEventListener('DOMContentLoaded', () => document.body.classList.add(${JSON.stringify(theme === 'dark' ? 'vscode-dark' : 'vscode-light')}));
  })();` });
  const html = renderResultsHtml({ cspSource: ORIGIN, nonce: makeNonce(), scriptUri: `${ORIGIN}/dist/webview.js`, styleUri: `${ORIGIN}/media/results.css`, panelId: 'abc123' })
    // VS Code injects its theme variables into every webview; give the page a small subset.
    .replace('</head>', `<link rel="stylesheet" href="${ORIGIN}/theme.css"></head>`);
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/' || path === '/index.html') return route.fulfill({ contentType: 'text/html', body: html });
    if (path === '/dist/webview.js') return route.fulfill({ contentType: 'text/javascript', body: readFileSync(join(ROOT, 'dist', 'webview.js')) });
    if (path === '/media/results.css') return route.fulfill({ contentType: 'text/css', body: readFileSync(join(ROOT, 'media', 'results.css')) });
    if (path === '/theme.css') return route.fulfill({ contentType: 'text/css', body: themeCss(theme) });
    return route.fulfill({ status: 404, body: '' });
  });
  await page.goto(`${ORIGIN}/`);
  return { page, session, fromWebview, toWebview, copied, opened, logs, close: async () => { session.dispose(); await page.close(); } };
}

function themeCss(theme: 'dark' | 'light'): string {
  const dark = theme === 'dark';
  const vars: Record<string, string> = {
    'font-family': 'system-ui, sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace', 'editor-font-size': '12px',
    foreground: dark ? '#cccccc' : '#3b3b3b', 'editor-background': dark ? '#1f1f1f' : '#ffffff',
    'descriptionForeground': dark ? '#9d9d9d' : '#717171', 'panel-border': dark ? '#2b2b2b' : '#e5e5e5',
    'list-hoverBackground': dark ? '#2a2d2e' : '#f2f2f2', 'list-activeSelectionBackground': dark ? '#04395e' : '#e4e6f1',
    'list-activeSelectionForeground': dark ? '#ffffff' : '#000000', 'badge-background': dark ? '#616161' : '#cccccc',
    'badge-foreground': dark ? '#f8f8f8' : '#333333', 'focusBorder': '#0078d4', 'textCodeBlock-background': dark ? '#2b2b2b' : '#f3f3f3',
    'charts-blue': dark ? '#3794ff' : '#1a85ff', 'charts-orange': '#d18616', 'charts-green': '#89d185', 'charts-purple': '#b180d7', 'charts-red': '#f14c4c', 'charts-yellow': '#cca700',
    'testing-iconPassed': '#73c991', 'testing-iconFailed': '#f14c4c', 'errorForeground': '#f85149',
    'button-background': '#0078d4', 'button-foreground': '#ffffff', 'input-background': dark ? '#313131' : '#ffffff', 'input-foreground': dark ? '#cccccc' : '#3b3b3b',
    'dropdown-background': dark ? '#313131' : '#ffffff', 'dropdown-foreground': dark ? '#cccccc' : '#3b3b3b', 'dropdown-border': dark ? '#3c3c3c' : '#cecece',
  };
  return `html{${Object.entries(vars).map(([k, v]) => `--vscode-${k}:${v};`).join('')}}`;
}

async function figures(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const e of performance.getEntries()) if (e.name.startsWith('awb:')) out[e.name] = e.entryType === 'measure' ? e.duration : e.startTime;
    return out;
  });
}

/** Waits for a performance mark/measure named `name` (functions, not strings: the CSP forbids eval). */
export async function waitForEntry(page: Page, name: string, timeoutMs = 60_000): Promise<void> {
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, { timeout: timeoutMs, polling: 20 });
}

/** Waits until the table's count reads `n rows` and loading is over. */
export async function waitForRows(page: Page, n: number, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction((n) => document.querySelector('.filters .count')?.textContent === `${n} rows` && !document.querySelector('.loading-rows'), n, { timeout: timeoutMs, polling: 20 });
}

export async function run(): Promise<void> {
  const N = Number(process.env.AWB_BENCH_ROWS) || 100_000;
  buildBundles();
  const ws = mkdtempSync(join(tmpdir(), 'awb-bench-results-'));
  const browser = await launchChromium();
  try {
    let t = Date.now();
    const made = await makeRun({ workspace: ws, rows: N, stateDb: false });
    const bytes = readFileSync(join(made.runDir, 'partials.jsonl')).length;
    console.log(`run folder: ${N} rows, partials.jsonl ${(bytes / 1e6).toFixed(1)} MB (generated in ${Date.now() - t} ms)`);

    const rounds = 2;
    const paint: number[] = [], all: number[] = [], done: number[] = [], filtPaint: number[] = [], textPaint: number[] = [], filt: number[] = [], text: number[] = [], sort: number[] = [], clear: number[] = [];
    for (let round = 0; round < rounds; round++) {
      t = Date.now();
      const h = await openResultsInPage(browser, made.runDir, { state: { tab: 'table', filter: {}, sort: null, selected: null } });
      await waitForEntry(h.page, 'awb:table-first-paint');
      await waitForRows(h.page, N);
      const loadedWall = Date.now() - t;
      const f0 = await figures(h.page);
      paint.push(f0['awb:table-first-paint']!);
      all.push(loadedWall);

      // Filter to one model through the real select element.
      await h.page.evaluate(() => {
        const s = document.querySelector('.f-models') as HTMLElement & { value: string };
        s.value = 'gpt-4.1-mini';
        s.dispatchEvent(new Event('change'));
      });
      await waitForEntry(h.page, 'awb:filter:models');
      // Free-text search over every answer (debounced 150 ms by the field; the measure excludes it).
      await h.page.evaluate(() => {
        const s = document.querySelector('.f-text') as HTMLElement & { value: string };
        s.value = 'developer mode';
        s.dispatchEvent(new Event('input'));
      });
      await waitForEntry(h.page, 'awb:filter:text');
      await h.page.click('.th[data-col="overall"]');
      await waitForEntry(h.page, 'awb:sort');
      await h.page.click('.filters vscode-button');
      await waitForEntry(h.page, 'awb:filter:clear');
      await waitForEntry(h.page, 'awb:filter-painted:clear');
      const f = await figures(h.page);
      filt.push(f['awb:filter:models']!);
      filtPaint.push(f['awb:filter-painted:models']!);
      text.push(f['awb:filter:text']!);
      textPaint.push(f['awb:filter-painted:text']!);
      sort.push(f['awb:sort']!);
      clear.push(f['awb:filter:clear']!);
      done.push(f['awb:rows-done']!);
      const shown = await h.page.textContent('.filters .count');
      if (round === 0) console.log(`after clear: ${shown}; rows drawn in DOM: ${await h.page.locator('.tscroll .trow:not([hidden])').count()}`);
      await h.close();
    }
    const fmt = (xs: number[]) => xs.map((x) => `${x.toFixed(0)}`).join(' / ');
    const best = (xs: number[]) => Math.min(...xs);
    console.log(`open ${N} rows → first paint of the table: ${fmt(paint)} ms (target < 1500) ${best(paint) < 1500 ? 'OK' : 'OVER'}`);
    console.log(`open ${N} rows → every row in the webview: ${fmt(done)} ms (wall incl. page setup: ${fmt(all)} ms; rows travel as JSON through playwright, a slower pipe than VS Code's)`);
    console.log(`filter to one model: ${fmt(filt)} ms query + redraw, ${fmt(filtPaint)} ms to the painted frame (target < 100) ${best(filtPaint) < 100 ? 'OK' : 'OVER'}`);
    console.log(`free-text search over answers and prompts: ${fmt(text)} ms, ${fmt(textPaint)} ms painted (target < 100) ${best(textPaint) < 100 ? 'OK' : 'OVER'}`);
    console.log(`sort by overall: ${fmt(sort)} ms; clear filters: ${fmt(clear)} ms`);
  } finally {
    await browser.close();
    rmSync(ws, { recursive: true, force: true });
  }
}
