#!/usr/bin/env node
// `npm start`: build and package the extension, then run it in a local VS Code (code-server) with
// `examples/` open. Open the printed URL in a browser; Ctrl+C stops the server.
//
//   node scripts/start.mjs [--port 8080] [--folder examples] [--trusted] [--skip-build]
//
// The profile (settings, installed extension, UI state) lives in .tools/start-profile/ and
// survives restarts. The server listens on 127.0.0.1 only, without auth.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVsix, DEFAULT_VSIX } from './package.mjs';
import { editorToolPaths, node24Env, setupEditorTools } from './setupEditorTools.mjs';
import { codeServerCommands, OFFLINE_GALLERY } from './codeServerLaunch.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const firstPort = Number(opt('--port') ?? 8080);
const folder = resolve(repoRoot, opt('--folder') ?? 'examples');
const trusted = argv.includes('--trusted');

function log(msg) {
  console.log(`[start] ${msg}`);
}

function portFree(port) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

async function findPort(from) {
  for (let p = from; p < from + 100; p++) if (await portFree(p)) return p;
  throw new Error(`no free port in ${from}..${from + 99}`);
}

function healthy(url) {
  return new Promise((res) => {
    const req = request(`${url}healthz`, { timeout: 2_000 }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
    req.end();
  });
}

const paths = editorToolPaths(repoRoot);
const profile = join(paths.tools, 'start-profile');
const userDataDir = join(profile, 'user-data');
const extensionsDir = join(profile, 'extensions');
const tmp = mkdtempSync(join(tmpdir(), 'awb-start-'));
let server;
let stopping = false;

function cleanup() {
  rmSync(tmp, { recursive: true, force: true });
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  if (server?.pid && server.exitCode === null && server.signalCode === null) {
    log('stopping code-server');
    const exited = new Promise((r) => server.once('exit', r));
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  }
  cleanup();
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  if (!existsSync(folder)) throw new Error(`folder ${folder} does not exist`);
  if (argv.includes('--skip-build') && existsSync(DEFAULT_VSIX)) log(`using existing ${DEFAULT_VSIX}`);
  else {
    const { bytes } = packageVsix();
    log(`packaged VSIX (${(bytes / 1024).toFixed(1)} KB)`);
  }
  const { did } = await setupEditorTools();
  for (const d of did) log(d);

  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const settings = join(userDataDir, 'User', 'settings.json');
  if (!existsSync(settings)) {
    // First start only; later edits in the UI are kept.
    writeFileSync(
      settings,
      JSON.stringify(
        {
          'telemetry.telemetryLevel': 'off',
          'workbench.startupEditor': 'none',
          'extensions.autoUpdate': false,
          'extensions.autoCheckUpdates': false,
          'update.mode': 'none',
        },
        null,
        2,
      ),
    );
  }
  const commands = codeServerCommands({ entry: paths.codeServerEntry, configFile: join(tmp, 'code-server.yaml'), userDataDir, extensionsDir });
  const env = {
    ...node24Env(paths),
    // No gallery: keep code-server from looking up open-vsx.org (override by setting it yourself).
    EXTENSIONS_GALLERY: process.env.EXTENSIONS_GALLERY ?? OFFLINE_GALLERY,
  };
  delete env.npm_config_nodedir;

  log('installing the VSIX into the start profile');
  const install = spawnSync(paths.node, commands.install(DEFAULT_VSIX), {
    env,
    stdio: 'inherit',
    timeout: 120_000,
  });
  if (install.status !== 0) throw new Error('installing the VSIX failed');

  const port = await findPort(firstPort);
  const url = `http://127.0.0.1:${port}/`;
  const args = commands.serve(port, folder, trusted);
  // Own process group: Ctrl+C reaches us, and we end the server and its children together.
  server = spawn(paths.node, args, { env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  server.on('exit', (code, signal) => {
    if (!stopping) {
      log(`code-server exited (${code ?? signal})`);
      void stop(code ?? 1);
    }
  });

  const deadline = Date.now() + 60_000;
  while (!(await healthy(url))) {
    if (Date.now() > deadline) throw new Error('code-server did not start within 60 s');
    await new Promise((r) => setTimeout(r, 300));
  }
  log('');
  log(`Alignment Workbench is running. Open: ${url}?folder=${encodeURI(folder)}`);
  log('Ctrl+C to stop.');
} catch (e) {
  console.error(`[start] ${e instanceof Error ? e.message : e}`);
  await stop(1);
}
