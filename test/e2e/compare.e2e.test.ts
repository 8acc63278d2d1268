// Compare Runs in a real VS Code (code-server + Chromium): two runs of one plan where three keys
// flipped from safe to attack succeeded and one case's text changed; the view lists exactly the
// flipped keys, shows both answers and both judge verdicts side by side, and lists the changed
// case apart from the regressions. Screenshots in test-output/screenshots/compare-*.png.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withEditor } from './harness';
import { makeRun } from '../support/makeRun';
import type { ResultRow } from '../../src/core/runFolder';

test('Compare Runs: the flipped keys listed, both answers and verdicts side by side, a changed case apart', { timeout: 900_000 }, async (t) => {
  const ws = mkdtempSync(join(tmpdir(), 'awb-e2e-compare-'));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  const base = await makeRun({ workspace: ws, rows: 96, runId: 'base-run', models: ['gpt-4.1', 'llama-3.1-8b'], personas: ['default', 'evil_confidant'] });
  const newDir = join(ws, 'results', 'new-run');
  cpSync(base.runDir, newDir, { recursive: true });
  // Three keys judged safe in the base run answer unsafely in the new one.
  const flipped = base.rows.filter((r) => r.judge_status === 'ok' && r.attack_success === false && r.test_id !== base.cases[0]!.id).slice(0, 3);
  const flippedKeys = new Set(flipped.map((r) => r.key));
  const newRows: ResultRow[] = base.rows.map((r) => {
    const row = { ...r, run_id: 'new-run' };
    if (!flippedKeys.has(r.key)) return row;
    const judge = { ...(r.judge_json ?? {}), attack_success: true, overall: 0.05, reasoning: 'The answer gives operational detail.' };
    return { ...row, raw_candidate: `NEW ANSWER for ${r.key}: sure, step by step…`, attack_success: true, overall: 0.05, safety_score: 0.1, judge_json: judge };
  });
  writeFileSync(join(newDir, 'partials.jsonl'), newRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const rj = JSON.parse(readFileSync(join(newDir, 'run.json'), 'utf8'));
  rj.run_id = 'new-run';
  rj.created_at = '2025-01-02T12:30:00.000Z';
  writeFileSync(join(newDir, 'run.json'), JSON.stringify(rj, null, 2));
  // The first case's text changed in the new run's snapshot.
  const snap = readFileSync(join(newDir, 'cases.jsonl'), 'utf8').split('\n');
  const first = JSON.parse(snap[0]!);
  first.case.expected_safe_behavior = 'Refuse, and point to a helpline.';
  snap[0] = JSON.stringify(first);
  writeFileSync(join(newDir, 'cases.jsonl'), snap.join('\n'));
  const changedKeys = base.rows.filter((r) => r.test_id === base.cases[0]!.id).length;

  await withEditor(t, { workspace: ws, theme: 'dark' }, async (editor) => {
    await editor.waitForActivation({ timeoutMs: 90_000 });
    await editor.runCommand('Alignment Workbench: Compare Runs…');
    await editor.pickQuickInput('new-run');
    await editor.pickQuickInput('base-run');
    const frame = await editor.webviewFrame('#app .cmpv-head', 'the compare webview');
    await frame.locator('.cmpv-head h1', { hasText: 'base-run → new-run' }).waitFor();
    await frame.locator('button.f-regression', { hasText: 'Regressions (3)' }).waitFor();
    // Exactly the flipped keys, nothing else, under Regressions.
    const listed = await frame.locator('.cmpv-row.k-regression').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
    assert.deepEqual([...listed].sort(), [...flippedKeys].sort());
    assert.equal(await frame.locator('.cmpv-row:not(.head)').count(), 3);
    const summaryText = (await frame.locator('.cmpv-summary').textContent()) ?? '';
    assert.match(summaryText, /McNemar p/);
    await editor.screenshot('compare-summary-dark');

    // One key: both answers and both verdicts, side by side.
    const key = flipped[0]!.key;
    await frame.locator(`.cmpv-row[data-key="${key}"]`).click();
    const sides = frame.locator('.cmpv-sides .cmpv-side');
    await sides.nth(1).locator('pre.answer').waitFor({ timeout: 30_000 });
    assert.equal(await sides.count(), 2);
    assert.equal(await sides.nth(0).locator('.chip').textContent(), 'safe');
    assert.equal(await sides.nth(1).locator('.chip').textContent(), 'attack succeeded');
    assert.equal(await sides.nth(0).locator('pre.answer').textContent(), flipped[0]!.raw_candidate);
    assert.equal(await sides.nth(1).locator('pre.answer').textContent(), `NEW ANSWER for ${key}: sure, step by step…`);
    assert.match((await sides.nth(0).locator('pre.judge').textContent()) ?? '', /"attack_success": false/);
    assert.match((await sides.nth(1).locator('pre.judge').textContent()) ?? '', /"attack_success": true/);
    const [b, n] = await Promise.all([sides.nth(0).boundingBox(), sides.nth(1).boundingBox()]);
    assert.ok(b && n && n.x > b.x + b.width - 1 && Math.abs(n.y - b.y) < 2, 'the two sides sit next to each other');
    await editor.screenshot('compare-case-dark');

    // The changed case: listed under its own filter, never as a regression.
    await frame.locator('button.f-changed').click();
    await frame.locator('.cmpv-list .count', { hasText: `${changedKeys} keys` }).waitFor();
    const changed = await frame.locator('.cmpv-row.k-changed').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
    assert.ok(changed.every((k) => k!.startsWith(`${base.cases[0]!.id}|`)));
    await editor.screenshot('compare-changed-dark');
    const pwned = await frame.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned);
    assert.equal(pwned, undefined);
  });
});
