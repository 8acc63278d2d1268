#!/usr/bin/env node
// Builds the production bundles and packages the extension as a VSIX.
//
//   node scripts/package.mjs [--out <file.vsix>] [--skip-build]
//
// esbuild bundles every runtime dependency, so vsce runs with --no-dependencies and the
// .vscodeignore allowlist decides what ships. Prints the VSIX path and size.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_VSIX = join(repoRoot, 'dist-vsix', 'alignment-workbench.vsix');

/** Short form of an argument for the log line. */
function show(a) {
  if (a === process.execPath) return 'node';
  return a.startsWith(repoRoot) ? relative(repoRoot, a) : a;
}

function run(cmd, args) {
  console.log(`[package] $ ${[cmd, ...args].map(show).join(' ')}`);
  // stdin closed: if vsce ever asks "Do you want to continue? [y/N]" it reads EOF and aborts
  // instead of hanging CI.
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/**
 * Builds with `esbuild.mjs --production` and runs `vsce package`.
 * @param {{ out?: string, skipBuild?: boolean }} [options]
 * @returns {{ vsix: string, bytes: number }}
 */
export function packageVsix({ out = DEFAULT_VSIX, skipBuild = false } = {}) {
  if (!skipBuild) run(process.execPath, [join(repoRoot, 'esbuild.mjs'), '--production']);

  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const main = manifest.main ? join(repoRoot, manifest.main) : undefined;
  if (main && !existsSync(main)) throw new Error(`${manifest.main} was not built`);

  const vsce = join(dirname(createRequire(join(repoRoot, 'package.json')).resolve('@vscode/vsce/package.json')), 'vsce');
  const args = [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '-o', out];
  // vsce packages LICENSE (Apache-2.0, as package.json says); without one it would prompt.
  if (!existsSync(join(repoRoot, 'LICENSE'))) throw new Error('LICENSE is missing: the VSIX must carry its licence');
  mkdirSync(dirname(out), { recursive: true });
  run(process.execPath, args);
  return { vsix: out, bytes: statSync(out).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 && argv[outIdx + 1] ? resolve(argv[outIdx + 1]) : DEFAULT_VSIX;
  try {
    const { vsix, bytes } = packageVsix({ out, skipBuild: argv.includes('--skip-build') });
    console.log(`[package] ${relative(process.cwd(), vsix) || vsix}: ${(bytes / 1024).toFixed(1)} KB`);
  } catch (e) {
    console.error(`[package] ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
