#!/usr/bin/env node
// `npm test`: unit tests, then end-to-end tests in a real VS Code.
//
//   node scripts/test.mjs            typecheck, lint, unit, then e2e (installs editor tools if missing)
//   node scripts/test.mjs --unit     unit tests only   (test/unit/**/*.test.ts)
//   node scripts/test.mjs --e2e      e2e tests only    (test/e2e/**/*.e2e.test.ts)
//   node scripts/test.mjs [--unit|--e2e] <files...>   only these test files
//
// Both tiers run under node:test with tsx; its own output (TAP when piped, spec on a terminal)
// and summary are passed through untouched. Exit code is non-zero if any tier fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVsix } from './package.mjs';
import { setupEditorTools } from './setupEditorTools.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const onlyUnit = argv.includes('--unit');
const onlyE2e = argv.includes('--e2e');
const explicitFiles = argv.filter((a) => !a.startsWith('--')).map((f) => resolve(f));

function log(msg) {
  console.log(`[test] ${msg}`);
}

/** Files under `dir` whose names end with `suffix`, sorted (Node 20's --test has no globs). */
function findTests(dir, suffix) {
  const abs = join(repoRoot, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith(suffix))
    .map((d) => join(d.parentPath ?? d.path, d.name))
    .filter((f) => !f.split('/').includes('node_modules'))
    .sort();
}

function pick(files, suffix) {
  if (!explicitFiles.length) return files;
  return explicitFiles.filter((f) => f.endsWith(suffix));
}

function runNodeTest(files, extraArgs, env = process.env) {
  const args = ['--import', 'tsx', '--test', ...extraArgs, ...files.map((f) => relative(repoRoot, f))];
  log(`$ node ${args.join(' ')}`);
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit', env });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function seconds(since) {
  return `${Math.round((Date.now() - since) / 1000)}s`;
}

const results = [];

async function unit() {
  const files = pick(findTests('test/unit', '.test.ts'), '.test.ts').filter((f) => !f.endsWith('.e2e.test.ts'));
  if (!files.length) {
    log('unit: no test files');
    return;
  }
  const t0 = Date.now();
  log(`unit: ${files.length} file(s)`);
  const code = runNodeTest(files, ['--test-concurrency=2']);
  results.push({ tier: 'unit', code, time: seconds(t0) });
}

async function e2e() {
  const files = pick(findTests('test/e2e', '.e2e.test.ts'), '.e2e.test.ts');
  if (!files.length) {
    log('e2e: no test files');
    return;
  }
  const t0 = Date.now();
  log('e2e: checking editor tools (Node 24, code-server, Chromium)');
  const { did } = await setupEditorTools();
  for (const d of did) log(`e2e: ${d}`);
  // The production build is what ships; the harness installs this VSIX in every editor it starts.
  log('e2e: building and packaging the VSIX');
  const { vsix, bytes } = packageVsix();
  log(`e2e: ${relative(repoRoot, vsix)} (${(bytes / 1024).toFixed(1)} KB) ready in ${seconds(t0)}`);
  log(`e2e: ${files.length} file(s)`);
  // Each editor is a server plus a browser: one test file at a time on a small machine.
  const code = runNodeTest(files, ['--test-concurrency=1', '--test-timeout=900000'], {
    ...process.env,
    AWB_E2E_VSIX: vsix,
  });
  results.push({ tier: 'e2e', code, time: seconds(t0) });
}

/** The strict typecheck (tsc --noEmit) over src, webview, test and scripts. */
function typecheck() {
  if (explicitFiles.length) return;
  const t0 = Date.now();
  log('typecheck: tsc --noEmit');
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', repoRoot], { cwd: repoRoot, stdio: 'inherit' });
  results.push({ tier: 'typecheck', code: r.status ?? 1, time: seconds(t0) });
}

/**
 * The layer rules, import cycles and floating promises (ESLint), cycles through type imports too
 * (which ESLint skips), then dead files, exports and dependencies (knip).
 */
function lint() {
  if (explicitFiles.length) return;
  for (const [tier, script, args] of [
    ['lint', join('node_modules', 'eslint', 'bin', 'eslint.js'), ['--max-warnings=0', 'src', 'webview']],
    ['cycles', join('scripts', 'checkCycles.mjs'), []],
    ['knip', join('node_modules', 'knip', 'bin', 'knip.js'), ['--no-progress', '--include', 'files,dependencies,unlisted,binaries,unresolved,exports,types,duplicates']],
  ]) {
    const t0 = Date.now();
    log(`${tier}: ${script} ${args.join(' ')}`);
    const r = spawnSync(process.execPath, [join(repoRoot, script), ...args], { cwd: repoRoot, stdio: 'inherit' });
    results.push({ tier, code: r.status ?? 1, time: seconds(t0) });
  }
}

try {
  if (!onlyE2e) typecheck();
  if (!onlyE2e) lint();
  if (!onlyE2e) await unit();
  if (!onlyUnit) await e2e();
} catch (e) {
  console.error(`[test] ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}

for (const r of results) log(`${r.tier}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${r.time}`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
