#!/usr/bin/env node
// `npm start`: build and package the extension, then run it in a local VS Code (code-server) with
// `examples/` open. Open the printed URL in a browser; Ctrl+C stops the server.
//
//   node scripts/start.mjs [--port 8080] [--folder examples] [--untrusted] [--skip-build]
//                          [--profile DIR] [--demo] [--verbose]
//
// --port        first port to try on 127.0.0.1 (the next free one is taken)
// --folder      the folder to open (default examples/)
// --untrusted   open in Restricted Mode (validation only). By default the folder is trusted: you
//               asked to open it. --trusted is accepted and is the default.
// --skip-build  reuse dist-vsix/alignment-workbench.vsix when it exists
// --profile     the editor profile (settings, installed extension); default .tools/start-profile/
// --demo        no key, no network: start `awb serve-mock`, run examples/local.bench.yaml with the
//               CLI, then open the editor with the run in the Runs view (`npm run demo`)
// --verbose     show all of code-server's output (by default its known noise is filtered out)
//
// The editor's extension host inherits this process's environment: OPENAI_API_KEY,
// OPENAI_BASE_URL and each provider's key variable set in this shell reach the extension.
// The server listens on 127.0.0.1 only, without auth.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVsix, DEFAULT_VSIX } from './package.mjs';
import { editorToolPaths, node24Env, setupEditorTools } from './setupEditorTools.mjs';
import { codeServerCommands, filterCodeServerOutput, OFFLINE_GALLERY, START_SETTINGS } from './codeServerLaunch.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const firstPort = Number(opt('--port') ?? 8080);
const folder = resolve(repoRoot, opt('--folder') ?? 'examples');
const trusted = !argv.includes('--untrusted');
const demo = argv.includes('--demo');
const verbose = argv.includes('--verbose');
const MOCK_PORT = 7357;

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

/** Waits for a child's stdout to print a line matching `re`; rejects if it exits first. */
function waitForLine(child, re, what, ms) {
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${what} exited (${code})`));
    });
  });
}

/** `--demo`: the mock server on 127.0.0.1:7357, then `awb run local.bench.yaml` in the folder. */
async function runDemoBenchmark(env) {
  const cli = join(repoRoot, 'dist', 'cli.js');
  const bench = join(folder, 'local.bench.yaml');
  if (!existsSync(bench)) throw new Error(`--demo runs ${bench}, which does not exist`);
  if (!(await portFree(MOCK_PORT))) {
    log(`port ${MOCK_PORT} is taken: using the mock server already running there (awb serve-mock)`);
  } else {
    log(`starting the mock model server (awb serve-mock) on http://127.0.0.1:${MOCK_PORT}/v1`);
    mock = spawn(process.execPath, [cli, 'serve-mock', '--port', String(MOCK_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await waitForLine(mock, /OPENAI_BASE_URL=/, 'awb serve-mock', 20_000);
  }
  log('running local.bench.yaml against it (awb run local.bench.yaml)');
  const run = spawnSync(process.execPath, [cli, 'run', 'local.bench.yaml'], { cwd: folder, env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
  if (run.status !== 0) throw new Error(`awb run local.bench.yaml failed (exit ${run.status ?? run.signal}); run it yourself to see why`);
}

const paths = editorToolPaths(repoRoot);
const profile = resolve(repoRoot, opt('--profile') ?? join(paths.tools, 'start-profile'));
const userDataDir = join(profile, 'user-data');
const extensionsDir = join(profile, 'extensions');
const tmp = mkdtempSync(join(tmpdir(), 'awb-start-'));
let server;
let mock;
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
  if (mock?.pid && mock.exitCode === null && mock.signalCode === null) {
    log('stopping the mock server');
    const gone = new Promise((r) => mock.once('exit', r));
    mock.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
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
  // Our defaults fill in what the profile lacks; what you changed in the UI is kept.
  let current = {};
  try {
    current = existsSync(settings) ? JSON.parse(readFileSync(settings, 'utf8')) : {};
  } catch {
    log(`${settings} is not plain JSON; leaving it as it is`);
    current = null;
  }
  if (current) writeFileSync(settings, JSON.stringify({ ...START_SETTINGS, ...current }, null, 2));
  const commands = codeServerCommands({ entry: paths.codeServerEntry, configFile: join(tmp, 'code-server.yaml'), userDataDir, extensionsDir });
  const env = {
    ...node24Env(paths),
    // No gallery: keep code-server from looking up open-vsx.org (override by setting it yourself).
    EXTENSIONS_GALLERY: process.env.EXTENSIONS_GALLERY ?? OFFLINE_GALLERY,
  };
  delete env.npm_config_nodedir;

  if (demo) await runDemoBenchmark(env);

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
  server = spawn(paths.node, args, { env, stdio: ['ignore', verbose ? 'inherit' : 'pipe', verbose ? 'inherit' : 'pipe'], detached: true });
  if (!verbose) {
    server.stdout.pipe(filterCodeServerOutput()).pipe(process.stdout);
    server.stderr.pipe(filterCodeServerOutput()).pipe(process.stderr);
  }
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
  if (demo) log(`The run is in the Alignment Workbench view under Runs: click it to open its results. The mock server stays up at http://127.0.0.1:${MOCK_PORT}/v1 for more runs (Run Benchmark on local.bench.yaml).`);
  if (!trusted) log('Restricted Mode: validation works; running needs trust (Manage Workspace Trust).');
  log('Ctrl+C to stop.');
} catch (e) {
  console.error(`[start] ${e instanceof Error ? e.message : e}`);
  await stop(1);
}
