/**
 * Bundles for tests that run the product's Node entry points as users do: the `awb` CLI (spawned)
 * and the extension's run worker (a worker thread). Built with esbuild.mjs's own options
 * (scripts/esbuildOptions.mjs) into a temp folder, so tests never race other builds writing dist/.
 * AWB_CLI points the CLI tests at a prebuilt dist/cli.js instead.
 */
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const built = new Map<string, Promise<string>>();

/** Bundles `entry` (relative to the repo root) once per test process; returns the bundle's path. */
function bundle(entry: string, name: string, cli: boolean): Promise<string> {
  let p = built.get(entry);
  if (!p) {
    p = (async () => {
      const esbuild = await import('esbuild');
      const { nodeBundleOptions, cliBanner } = await import('../../scripts/esbuildOptions.mjs');
      const out = mkdtempSync(join(tmpdir(), `awb-${name}-`));
      const outfile = join(out, `${name}.js`);
      await esbuild.build({ ...nodeBundleOptions, ...(cli ? { banner: cliBanner } : {}), entryPoints: [join(ROOT, entry)], outfile, logLevel: 'error', absWorkingDir: ROOT });
      const wasm = join(dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
      if (existsSync(wasm)) copyFileSync(wasm, join(out, 'sql-wasm.wasm'));
      return outfile;
    })();
    built.set(entry, p);
  }
  return p;
}

export function cliBundle(): Promise<string> {
  if (process.env.AWB_CLI) return Promise.resolve(resolve(process.env.AWB_CLI));
  return bundle('src/cli/main.ts', 'cli', true);
}

/** The extension's run worker (dist/runWorker.js in the VSIX). */
export function runWorkerBundle(): Promise<string> {
  return bundle('src/extension/run/runWorker.ts', 'runWorker', false);
}

/** The GitHub Action's script (dist/action.js beside dist/cli.js in a release of the action). */
export function actionBundle(): Promise<string> {
  return bundle('src/action/main.ts', 'action', false);
}
