// `npm start` shows code-server's output without its known noise: the dead gallery's
// ECONNREFUSED, files the browser asks for that code-server does not ship, connection
// bookkeeping and runs of blank lines. Everything else (its URL, real errors) passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { filterCodeServerOutput, START_SETTINGS } from '../../scripts/codeServerLaunch.mjs';

async function filtered(text: string, chunk = 7): Promise<string> {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += chunk) parts.push(text.slice(i, i + chunk));
  let out = '';
  for await (const c of Readable.from(parts).pipe(filterCodeServerOutput())) out += String(c);
  return out;
}

test("npm start filters code-server's noise and keeps what matters", async () => {
  const raw = [
    '[2026-12-06T11:30:18.500Z] info  HTTP server listening on http://127.0.0.1:8300/',
    '',
    '',
    '',
    '[11:32:31] [reconnection-grace-time] No CLI argument provided, using default: 10800000ms (10800s)',
    '[11:32:31] [AgentHostChannel] Registered lazy IPC channel \'agentHostProxy\'',
    '[11:32:35] [127.0.0.1][a97b346f][ManagementConnection] New connection established.',
    '[11:32:42] [error] #1: http://127.0.0.1:9/gallery/extensionquery - error POST connect ECONNREFUSED 127.0.0.1:9',
    "Error: ENOENT: no such file or directory, open '/x/node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-typescript.wasm'",
    '    at async open (node:internal/fs/promises:639:25)',
    '',
    '',
    '[11:40:00] Extension host agent started.',
    '[11:41:00] [error] Something real went wrong',
  ].join('\n') + '\n';
  const out = await filtered(raw);
  assert.equal(out, [
    '[2026-12-06T11:30:18.500Z] info  HTTP server listening on http://127.0.0.1:8300/',
    '',
    '[11:40:00] Extension host agent started.',
    '[11:41:00] [error] Something real went wrong',
  ].join('\n') + '\n');
});

test("npm start's profile opens on the Alignment Workbench view with the Chat panel closed", () => {
  assert.equal(START_SETTINGS['alignmentWorkbench.showViewOnStartup'], true);
  assert.equal(START_SETTINGS['workbench.secondarySideBar.defaultVisibility'], 'hidden');
});
