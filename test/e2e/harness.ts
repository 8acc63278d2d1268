/**
 * End-to-end harness: the packaged extension in a real VS Code (code-server, Node 24), driven in
 * Debian's Chromium by playwright-core. See ../../../shared/vscode-e2e.md for the recipe.
 *
 * ```ts
 * import { test } from 'node:test';
 * import { withEditor } from './harness';
 *
 * test('validates a cases file', async (t) => {
 *   await withEditor(t, { workspace: { 'a.cases.jsonl': '{"id":1}\n' } }, async (editor) => {
 *     await editor.openFile('a.cases.jsonl');
 *     await editor.waitFor(async () => (await editor.problems()).length > 0, 'a problem');
 *   });
 * });
 * ```
 *
 * Each editor gets its own copy of the workspace, user-data and extensions dirs, server port and
 * browser, so tests never share state or dirty `examples/`. Run e2e files with
 * `--test-concurrency=1` (two cores; every editor is a server plus a browser).
 *
 * Environment knobs: `AWB_E2E_VSIX` (use this VSIX instead of packaging), `AWB_E2E_KEEP=1` (keep
 * temp dirs after stop), `AWB_E2E_TIMEOUT_MS` (default timeout of each UI wait).
 *
 * The parts, under harness/: `editor.ts` (start and stop an editor), `page.ts` (the page object:
 * palette, quick picks, files, Problems, notifications, status bar, logs), `processes.ts`
 * (code-server, Chromium, ports, cleanup), `package.ts` (the VSIX), `workspace.ts` (the folder
 * and settings an editor opens with), `paths.ts`, `wait.ts` (bounded polling).
 */
export { withEditor } from './harness/editor';
export type { Editor } from './harness/page';
export { ensureVsix } from './harness/package';
export { EXTENSION_ID, REPO_ROOT, SCREENSHOT_DIR } from './harness/paths';
