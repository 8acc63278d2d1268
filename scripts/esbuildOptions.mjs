// The esbuild options of the Node bundles (extension host, run worker, CLI), shared by
// esbuild.mjs and the tests that bundle an entry into a temp folder (test/support/buildCli.ts).

/** Options of a CommonJS bundle for Node >= 20; add entryPoints and outfile. */
export const nodeBundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // sql.js finds its wasm next to the bundle; vscode is provided by the host.
  external: ['vscode'],
  // Prefer ESM builds: jsonc-parser's UMD build has requires esbuild cannot follow.
  mainFields: ['module', 'main'],
  // ESM dependencies read import.meta.url; give the CommonJS bundle a real one.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

/** The CLI's banner: a shebang before the import.meta.url shim. */
export const cliBanner = { js: `#!/usr/bin/env node\n${nodeBundleOptions.banner.js}` };
