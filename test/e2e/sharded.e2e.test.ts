// A sharded run in a real VS Code (code-server + Chromium): the Runs view shows a merged run with
// its shards under it and a sharded run not merged yet with how far its shards are; the merged run
// opens in the results view with every row. The run folders are made by the built CLI
// (awb run --shard, awb merge) against the fake server on 127.0.0.1 before the editor starts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withEditor } from './harness';
import { startFakeOpenAI } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { CANARY_KEY, writeCases } from '../support/runnerFixtures';

test('Runs view: a merged run with its shards, a sharded run not merged yet; the merged run opens with every row', { timeout: 900_000 }, async (t) => {
  const ws = mkdtempSync(join(tmpdir(), 'awb-e2e-sharded-'));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  const server = await startFakeOpenAI({ latencyMs: 1 });
  t.after(() => server.close());
  const cli = await cliBundle();
  const awb = (args: string[]) => new Promise<{ code: number | null; err: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ws, env: { PATH: process.env.PATH, OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url, AWB_REGISTRY: join(ws, 'registry.sqlite') }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, err }); });
  });
  writeCases(ws, 10);
  const plan = ['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1,m2', '--concurrency', '4'];
  for (const i of [0, 1]) { const r = await awb([...plan, '--run-id', 'sharded-merged', '--shard', `${i}/2`]); assert.equal(r.code, 0, r.err); }
  const m = await awb(['merge', 'results/sharded-merged.shard-0-of-2', 'results/sharded-merged.shard-1-of-2', '--out', 'results/sharded-merged']);
  assert.equal(m.code, 0, m.err);
  const r = await awb([...plan, '--run-id', 'sharded-open', '--shard', '0/3']);
  assert.equal(r.code, 0, r.err);

  await withEditor(t, { workspace: ws, theme: 'dark' }, async (editor) => {
    await editor.waitForActivation({ timeoutMs: 90_000 });
    await editor.runCommand('Alignment Workbench: Focus on Runs View');
    const rows = editor.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row');
    const merged = rows.filter({ hasText: 'sharded-merged' }).first();
    await merged.waitFor({ timeout: 30_000 });
    assert.match((await merged.textContent()) ?? '', /complete.*20\/20 done.*merged from 2\/2 shards/);
    const open = rows.filter({ hasText: 'sharded-open' }).first();
    await open.waitFor({ timeout: 30_000 });
    assert.match((await open.textContent()) ?? '', /partial.*1\/3 shards complete/);
    // Not merged yet: its shard is listed under it.
    await rows.filter({ hasText: 'shard 0/3' }).first().waitFor({ timeout: 30_000 });
    // The merged run's shards, once expanded.
    await merged.locator('.monaco-tl-twistie').click();
    await rows.filter({ hasText: 'shard 1/2' }).first().waitFor({ timeout: 30_000 });
    assert.match((await rows.filter({ hasText: 'shard 1/2' }).first().textContent()) ?? '', /complete/);
    await editor.screenshot('runs-sharded-dark');
    // The merged run opens like any run.
    await merged.locator('.label-name, .monaco-icon-label').first().click();
    const frame = await editor.webviewFrame('#app .run-head', 'the results webview');
    await frame.locator('.run-head h1', { hasText: 'sharded-merged' }).waitFor();
    await frame.locator('.card-value', { hasText: '20 / 20' }).waitFor({ timeout: 30_000 });
    await editor.screenshot('results-sharded-merged-dark');
  });
});
