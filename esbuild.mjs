// One build for the bundles: the extension host and its run worker, the awb CLI and the results webview.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cliBanner, nodeBundleOptions } from './scripts/esbuildOptions.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const require = createRequire(import.meta.url);

/** Prints build errors in the format VS Code's esbuild problem matcher reads. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: watch ? [problemMatcher] : [],
};

const node = { ...common, ...nodeBundleOptions };

const builds = [
  { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  // Runs and scoring passes run in a worker thread of the extension host (src/extension/run/workerJob.ts).
  { ...node, entryPoints: ['src/extension/run/runWorker.ts'], outfile: 'dist/runWorker.js' },
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: cliBanner },
  // The GitHub Action's script (action.yml); it runs dist/cli.js beside it.
  { ...node, entryPoints: ['src/action/main.ts'], outfile: 'dist/action.js' },
  // The Compare Runs view (src/extension/compare/); its own small bundle.
  { ...common, entryPoints: ['webview/compareView.ts'], outfile: 'dist/compareView.js', platform: 'browser', format: 'iife', target: 'es2022' },
  {
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

mkdirSync('dist', { recursive: true });
copyFileSync(join(dirname(require.resolve('sql.js')), 'sql-wasm.wasm'), 'dist/sql-wasm.wasm');

/** Generates the JSON Schemas editors use from the zod schemas, through a throwaway bundle. */
async function writeSchemas() {
  await esbuild.build({ ...node, plugins: [], sourcemap: false, minify: false, entryPoints: ['scripts/genSchemas.ts'], outfile: 'dist/.genSchemas.js' });
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, ['dist/.genSchemas.js', 'dist/schemas'], { stdio: 'inherit' });
  const { rmSync } = await import('node:fs');
  rmSync('dist/.genSchemas.js');
}
await writeSchemas();

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
