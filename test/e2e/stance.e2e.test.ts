// Stance labels on a grid run in a real VS Code (code-server + Chromium): open a finished grid run
// in the Results view, label one answer of a group on the Grid tab, see the label selected, close
// and reopen the view and see it again, and find it in the run folder's labels.sqlite.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Frame, Locator } from 'playwright-core';
import { withEditor, type Editor } from './harness';
import { makeRun } from '../support/makeRun';
import { readLabels } from '../../src/core/grid/labels';
import { RUN_FILES } from '../../src/core/runFolder';

const MODELS = ['gpt-4.1', 'gpt-4.1-mini'];
const PERSONAS = ['default'];
// 9 cases × 2 models × 1 persona: three groups (landlord, tenant, neutral each).
const ROWS = 18;

/**
 * Opens the run's results from the Runs view, as a user would. (Not Open Results from the palette:
 * the harness's runCommand waits its full timeout for the palette to close, and that command
 * keeps it open for the run picker.)
 */
async function openResults(editor: Editor, runId: string): Promise<Frame> {
  await editor.runCommand('Alignment Workbench: Focus on Runs View');
  const item = editor.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row', { hasText: runId }).first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  await item.click();
  const frame = await editor.webviewFrame('.run-head h1', 'the results webview', { hasText: runId });
  await frame.locator('.run-head', { hasText: `${ROWS} / ${ROWS} rows` }).waitFor({ timeout: 30_000 });
  return frame;
}

/** The Grid tab, with its group picker on `group` (null: as it opens). */
async function gridTab(frame: Frame, group: string | null): Promise<void> {
  await frame.locator('vscode-tab-header', { hasText: 'Grid' }).click();
  const select = frame.locator('.grid-view vscode-single-select[aria-label="Group"]');
  await select.waitFor({ timeout: 30_000 });
  if (group === null) return;
  const current = await select.evaluate((el) => (el as unknown as { value: string }).value);
  if (current !== group) {
    await select.click();
    await frame.getByRole('option', { name: group, exact: true }).click({ timeout: 10_000 });
  }
  await frame.waitForFunction((g) => (document.querySelector('.grid-view vscode-single-select') as unknown as { value: string } | null)?.value === g, group, { timeout: 10_000 });
}

/** The label box of one answer in the group's side-by-side view, found by the answer's text. */
function answerBox(frame: Frame, answer: string): Locator {
  return frame.locator('.grid-view .cmp-cell > div').filter({ has: frame.locator('pre.cmp-answer', { hasText: answer }) }).locator('.stance-label');
}

/** The stance a box shows as chosen: its buttons are secondary except the chosen one. */
async function chosenStances(box: Locator): Promise<string[]> {
  return box.locator('vscode-button[aria-label^="Label "]').evaluateAll((els) =>
    els.filter((e) => !e.hasAttribute('secondary')).map((e) => (e.textContent ?? '').trim()));
}

test('grid stance label: chosen in the Grid tab, kept after closing and reopening the view, stored in labels.sqlite', { timeout: 600_000 }, async (t) => {
  const ws = mkdtempSync(join(tmpdir(), 'awb-e2e-stance-'));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  const run = await makeRun({ workspace: ws, rows: ROWS, models: MODELS, personas: PERSONAS, grid: true, seed: 7 });
  // A second group (not the default first one), its tenant side, the second model: an answer
  // with text and a scorer stance, so the label we pick differs from what the scorer said.
  const target = run.rows.find((r) => r.group_id === 'g-0001' && r.perspective === 'tenant' && r.model_slug === MODELS[1] && r.raw_candidate && !r.error);
  assert.ok(target, 'the generated run has the target answer');
  const pick = target.stance === 'neg' ? 'pos' : 'neg';
  // Answers are made of a few stock sentences: make sure this one's text finds a single box.
  assert.deepEqual(run.rows.filter((r) => r.group_id === target.group_id && r.raw_candidate?.includes(target.raw_candidate!)).map((r) => r.key), [target.key], 'the target answer is unique in its group');

  await withEditor(t, { workspace: ws }, async (editor) => {
    await editor.waitForActivation({ timeoutMs: 90_000 });
    const runDir = join(editor.workspace, 'results', run.runId);
    const started = Date.now();

    let frame = await openResults(editor, run.runId);
    await gridTab(frame, null);
    // The Grid tab of a grid run: the uplift chart and table (sides from run.json), the stance mix.
    await frame.locator('.grid-view h3', { hasText: 'Uplift: mean score of landlord minus tenant' }).waitFor({ timeout: 30_000 });
    await frame.locator('.grid-view canvas[aria-label="Uplift per model and persona"]').waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('.grid-view h3', { hasText: 'Stance mix per model × perspective' }).count(), 1);
    await editor.screenshot('stance-grid-tab');
    await gridTab(frame, target.group_id!);
    let box = answerBox(frame, target.raw_candidate!);
    await box.waitFor({ timeout: 30_000 });
    assert.equal(await box.count(), 1);
    assert.match((await box.textContent()) ?? '', /Not labelled\./);
    assert.deepEqual(await chosenStances(box), [], 'no stance chosen before labelling');
    assert.equal(await frame.locator('.grid-view .label-agreement').count(), 0, 'no agreement table without labels');

    await box.locator(`vscode-button[aria-label="Label ${pick}"]`).click();
    await box.locator('span.muted', { hasText: `Your label: ${pick}` }).waitFor({ timeout: 30_000 });
    assert.deepEqual(await chosenStances(box), [pick], `only ${pick} shows as chosen`);
    // The agreement table now counts the label (first cell: Labels).
    await frame.locator('.grid-view .label-agreement tbody td').first().filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
    // The other answers of the group stay unlabelled.
    const others = frame.locator('.grid-view .stance-label', { hasText: 'Not labelled.' });
    assert.equal(await others.count(), run.rows.filter((r) => r.group_id === target.group_id).length - 1);
    await box.scrollIntoViewIfNeeded();
    await editor.screenshot('stance-grid-labelled');

    // In the run folder: one label, by the editor's (unnamed) reviewer.
    const stored = await readLabels(runDir);
    assert.deepEqual(stored.map(({ key, reviewer, stance, score, note }) => ({ key, reviewer, stance, score, note })),
      [{ key: target.key, reviewer: '', stance: pick, score: null, note: '' }], `${RUN_FILES.labels} holds the label`);

    // Close the Results tab and open the run again: the label comes back from the file.
    const tab = editor.page.locator('.tabs-container .tab', { hasText: `Results: ${run.runId}` }).first();
    await tab.hover();
    await tab.getByRole('button', { name: /^Close\b/ }).click();
    await tab.waitFor({ state: 'detached', timeout: 30_000 });
    await editor.waitFor(() => frame.isDetached(), 'the closed view\'s webview to go');

    frame = await openResults(editor, run.runId);
    await gridTab(frame, target.group_id!);
    box = answerBox(frame, target.raw_candidate!);
    await box.locator('span.muted', { hasText: `Your label: ${pick}` }).waitFor({ timeout: 30_000 });
    assert.deepEqual(await chosenStances(box), [pick], `${pick} still shows as chosen after reopening`);
    await frame.locator('.grid-view .label-agreement tbody td').first().filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
    await box.scrollIntoViewIfNeeded();
    await editor.screenshot('stance-grid-reopened');
    console.log(`[stance] label set, checked, reopened in ${Date.now() - started} ms`);
  });
});
