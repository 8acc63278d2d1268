// An editor for one test: code-server with the packaged extension, a temp workspace, Chromium
// showing the workbench; startEditor() brings it up (bounded), withEditor() always stops it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { codeServerCommands } from '../../../scripts/codeServerLaunch.mjs';
import { ensureVsix } from './package';
import { makeEditor, type Editor } from './page';
import { CODE_SERVER, NODE24 } from './paths';
import { checkTools, childEnv, freePort, holdTmpDir, launchChromium, releaseTmpDir, runChild, startCodeServer, stopCodeServer, type CodeServer } from './processes';
import { DEFAULT_TIMEOUT_MS, withTimeout } from './wait';
import { baseSettings, prepareWorkspace, type ThemeChoice, type WorkspaceSpec } from './workspace';

const STARTUP_TIMEOUT_MS = 120_000;

/** Options for {@link startEditor}. */
export interface EditorOptions {
  /**
   * The folder to open: a path (copied to a temp dir first) or the files to create, as
   * `{ 'relative/path': 'content' }`.
   */
  workspace: WorkspaceSpec;
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
  theme?: ThemeChoice;
  /** Browser viewport; default 1400×900. */
  viewport?: { width: number; height: number };
  /** A VSIX to install instead of the packaged one. */
  vsix?: string;
}

/**
 * Starts code-server with the packaged extension installed and opens the workspace in Chromium.
 * Waits (bounded) until the workbench is shown. Always pair with {@link Editor.stop}.
 */
async function startEditor(options: EditorOptions): Promise<Editor> {
  checkTools();
  const started = Date.now();
  const vsix = options.vsix ? resolve(options.vsix) : await ensureVsix();
  const tmp = mkdtempSync(join(tmpdir(), 'awb-e2e-'));
  holdTmpDir(tmp);
  const userDataDir = join(tmp, 'user-data');
  const extensionsDir = join(tmp, 'extensions');
  const configFile = join(tmp, 'code-server.yaml');
  const serverLog: string[] = [];
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (browser) await withTimeout(browser.close(), 15_000, 'closing Chromium').catch(() => undefined);
    if (server) await stopCodeServer(server.process);
    releaseTmpDir(tmp);
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
    server = await startCodeServer(
      commands.serve(port, workspace, options.trusted !== false),
      port,
      // The local registry lives in the editor's temp dir unless a test names one: an e2e run
      // never reads or writes the real ~/.alignment-workbench.
      childEnv({ AWB_REGISTRY: join(tmp, 'registry.sqlite'), ...options.env }),
      serverLog,
    );
    const { url } = server;

    browser = await launchChromium();
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
