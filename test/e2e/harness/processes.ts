// Child processes and ports: code-server in its own process group, Chromium through
// playwright-core, and the cleanup that keeps a crashed test from leaving either running.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { OFFLINE_GALLERY } from '../../../scripts/codeServerLaunch.mjs';
import { CHROMIUM, CODE_SERVER, NODE24, NODE24_DIR, REPO_ROOT, TOOLS } from './paths';
import { FatalError, poll, withTimeout } from './wait';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export function freePort(): Promise<number> {
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

/** Environment for child processes: Node 24 first on PATH, none of the test runner's hooks. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
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

/** Runs a command to its end (bounded by `timeoutMs`); resolves with its stdout and stderr. */
export function runChild(cmd: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string }) {
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

/** Throws, naming the setup script, when Node 24, code-server or Chromium is missing. */
export function checkTools(): void {
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

/** Debian's Chromium, headless, driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  const { chromium } = loadPlaywright();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
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

/** A temp dir removed when this process exits, unless {@link releaseTmpDir} took it back first. */
export function holdTmpDir(dir: string): void {
  liveTmpDirs.add(dir);
}

/** Removes a temp dir (kept with `AWB_E2E_KEEP`) and stops tracking it. */
export function releaseTmpDir(dir: string): void {
  liveTmpDirs.delete(dir);
  if (process.env.AWB_E2E_KEEP) console.log(`[e2e] kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A code-server process listening on `url`, with the tail of its stdout and stderr. */
export interface CodeServer {
  process: ChildProcess;
  url: string;
  /** Server stdout/stderr chunks, the last 1,000–2,000 of them. */
  log: string[];
}

/**
 * Spawns code-server (Node 24, `args` from codeServerCommands().serve) in its own process group
 * and waits, at most 60 s, for its health check. `log` is filled from the start, so a server that
 * never listens still leaves its output; a failed start throws with that output appended.
 */
export async function startCodeServer(args: string[], port: number, env: NodeJS.ProcessEnv, log: string[]): Promise<CodeServer> {
  const url = `http://127.0.0.1:${port}/`;
  const server = spawn(NODE24, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so stop() can end its children too
  });
  liveServers.add(server);
  const keep = (d: Buffer) => {
    log.push(d.toString());
    if (log.length > 2_000) log.splice(0, 1_000);
  };
  server.stdout!.on('data', keep);
  server.stderr!.on('data', keep);
  await poll(
    async () => {
      if (server.exitCode !== null || server.signalCode !== null) {
        throw new FatalError(`code-server exited (${server.exitCode ?? server.signalCode})`);
      }
      return httpOk(`${url}healthz`);
    },
    'code-server to listen',
    60_000,
  ).catch(async (e: unknown) => {
    await stopCodeServer(server);
    throw new Error(`${e instanceof Error ? e.message : e}\n${log.join('')}`);
  });
  return { process: server, url, log };
}

/** Ends code-server and its children (extension host, pty host) by process group; bounded. */
export async function stopCodeServer(server: ChildProcess): Promise<void> {
  if (server.pid && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise<void>((r) => server.once('exit', () => r()));
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
  liveServers.delete(server);
}
