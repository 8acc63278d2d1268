/**
 * The CLI bundle for tests that spawn `awb`: AWB_CLI if set (e.g. dist/cli.js after
 * `node esbuild.mjs`), else a fresh bundle of src/cli/main.ts built with the same esbuild options
 * as esbuild.mjs into a temp folder (so tests never race other builds writing dist/).
 */
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

let built: Promise<string> | undefined;

export function cliBundle(): Promise<string> {
  if (process.env.AWB_CLI) return Promise.resolve(resolve(process.env.AWB_CLI));
  built ??= (async () => {
    const esbuild = await import('esbuild');
    const root = resolve(__dirname, '..', '..');
    const out = mkdtempSync(join(tmpdir(), 'awb-cli-'));
    const outfile = join(out, 'cli.js');
    await esbuild.build({
      entryPoints: [join(root, 'src/cli/main.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      mainFields: ['module', 'main'],
      define: { 'import.meta.url': '__importMetaUrl' },
      banner: { js: "#!/usr/bin/env node\nconst __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
      logLevel: 'error',
      absWorkingDir: root,
    });
    const wasm = join(dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
    if (existsSync(wasm)) copyFileSync(wasm, join(out, 'sql-wasm.wasm'));
    return outfile;
  })();
  return built;
}
