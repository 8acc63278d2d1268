// The results view in a real VS Code (code-server + Chromium): open a finished run, filter to one
// model, open a case and see its judge JSON; an XSS corpus planted in answers, judge JSON, a test
// id and a dataset file name runs nothing and shows as text; the webview cannot load workspace
// files; a review label lands in reviews.sqlite; screenshots in dark and light themes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Frame } from 'playwright-core';
import { withEditor, type Editor } from './harness';
import { makeRun, XSS_CORPUS, XSS_TEST_ID } from '../support/makeRun';

const ROWS = 480;

/** Nothing ran: no canary in the webview or the workbench, no element carries a handler. */
async function assertInert(editor: Editor, frame: Frame): Promise<void> {
  for (const [where, f] of [['webview', frame], ['workbench', editor.page.mainFrame()]] as const) {
    const pwned = await f.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned);
    assert.equal(pwned, undefined, `window.__pwned set in the ${where}`);
  }
  // No named inner functions in page callbacks: tsx would wrap them in a helper the page lacks.
  // Everything run data can reach is in #app's light DOM (the components' shadow roots hold only
  // their own templates, e.g. chevron SVGs): no markup element there may exist, and no element
  // anywhere may carry an on* handler or a javascript: link.
  const bad = await frame.evaluate(() => {
    const out: string[] = [];
    const app = document.getElementById('app')!;
    for (const e of app.querySelectorAll('img, svg, iframe, video, audio, source, object, embed, meta, base, form, script, style, link, a, b')) out.push(`#app ${e.tagName}`);
    const roots: (Document | ShadowRoot)[] = [document];
    while (roots.length) {
      for (const e of roots.pop()!.querySelectorAll('*')) {
        for (const a of e.getAttributeNames()) if (/^on/i.test(a)) out.push(`${e.tagName} ${a}`);
        if (/^\s*javascript:/i.test(e.getAttribute('href') ?? '') || /^\s*javascript:/i.test(e.getAttribute('src') ?? '')) out.push(`${e.tagName} javascript: URL`);
        if (e.shadowRoot) roots.push(e.shadowRoot);
      }
    }
    // Scripts: ours (by src) and VS Code's own acquireVsCodeApi (which carries the saved state
    // URI-encoded); nothing else, and nothing made of data.
    for (const sc of document.querySelectorAll('script')) {
      if (sc.src) continue;
      const text = sc.textContent ?? '';
      if (!text.includes('globalThis.acquireVsCodeApi') || /<img|<svg|__pwned=/.test(text)) out.push(`inline script: ${text.slice(0, 200)}`);
    }
    return out;
  });
  assert.deepEqual(bad, []);
}

test('results view: filter, case detail with judge JSON, XSS corpus inert, no workspace files, review label, screenshots', { timeout: 900_000 }, async (t) => {
  const ws = mkdtempSync(join(tmpdir(), 'awb-e2e-results-'));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  const run = await makeRun({ workspace: ws, rows: ROWS, xss: true });
  // The harness copies the workspace; the copy is what the run's relative paths must resolve in.
  const runJson = join(run.runDir, 'run.json');
  const json = JSON.parse(readFileSync(runJson, 'utf8'));
  json.config.cwd = '/nonexistent-original-cwd';
  writeFileSync(runJson, JSON.stringify(json, null, 2));
  writeFileSync(join(ws, 'canary.secret.txt'), 'workspace file the webview must not be able to load\n');

  await withEditor(t, { workspace: ws, theme: 'dark' }, async (editor) => {
    await editor.waitForActivation({ timeoutMs: 90_000 });
    // The Runs view lists the run with its status, counts and date; clicking it opens the results.
    await editor.runCommand('Alignment Workbench: Focus on Runs View');
    const item = editor.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row', { hasText: run.runId }).first();
    await item.waitFor({ timeout: 30_000 });
    assert.match((await item.textContent()) ?? '', new RegExp(`complete.*${ROWS - run.rows.filter((r) => r.error).length}/${ROWS} done`));
    await item.click();
    const frame = await editor.webviewFrame('#app .run-head', 'the results webview');
    await frame.locator('.run-head h1', { hasText: run.runId }).waitFor();
    await frame.locator('.card-value', { hasText: `${ROWS} / ${ROWS}` }).waitFor({ timeout: 30_000 });
    await frame.locator('canvas').first().waitFor();
    await editor.screenshot('results-summary-dark');

    // Cases: filter to one model with the real drop-down.
    await frame.locator('vscode-tab-header', { hasText: 'Cases' }).click();
    await frame.locator('.filters .count', { hasText: `${ROWS} rows` }).waitFor();
    await frame.locator('.f-models').click();
    await frame.getByRole('option', { name: 'gpt-4.1-mini', exact: true }).click();
    const expected = run.rows.filter((r) => r.model_slug === 'gpt-4.1-mini').length;
    await frame.locator('.filters .count', { hasText: `${expected} of ${ROWS} rows` }).waitFor();
    const models = await frame.locator('.tscroll .trow:not([hidden]) .td:nth-child(2)').allTextContents();
    assert.ok(models.length > 5 && models.every((m) => m === 'gpt-4.1-mini'), models.join(','));
    await editor.screenshot('results-table-dark');

    // A case whose answer and judge JSON carry the corpus.
    const xssRow = run.rows.find((r) => r.model_slug === 'gpt-4.1-mini' && r.judge_json && JSON.stringify(r.judge_json).includes('__pwned') && r.test_id === XSS_TEST_ID)
      ?? run.rows.find((r) => r.model_slug === 'gpt-4.1-mini' && r.judge_json && JSON.stringify(r.judge_json).includes('__pwned'))!;
    await frame.locator('.f-text').click();
    await editor.page.keyboard.type(xssRow.test_id.slice(0, 12));
    await frame.locator(`.tscroll .trow[data-key="${xssRow.key.replace(/"/g, '\\"')}"]`).click({ timeout: 30_000 }).catch(async () => {
      // The row may be further down: find it by scrolling the filtered list.
      await frame.locator('.tscroll').evaluate((el, key) => {
        for (const r of el.querySelectorAll<HTMLElement>('.trow')) if (r.dataset.key === key) r.click();
      }, xssRow.key);
    });
    const judge = frame.locator('.detail .judge .json');
    await judge.waitFor({ timeout: 30_000 });
    const judgeText = (await judge.textContent()) ?? '';
    assert.match(judgeText, /"attack_success"/);
    assert.match(judgeText, /"overall"/);
    assert.ok(judgeText.includes('__pwned'), 'the planted payload shows as text in the judge JSON');
    const answer = (await frame.locator('.detail pre.answer').textContent()) ?? '';
    assert.equal(answer, xssRow.raw_candidate);
    assert.ok(XSS_CORPUS.some((x) => answer.includes(x)), 'the answer keeps its markup as text');
    await frame.locator('.detail-head h2').waitFor();
    assert.equal(await frame.locator('.detail-head h2').textContent(), xssRow.test_id);
    await frame.locator('vscode-collapsible', { hasText: 'Timings and retries' }).click();
    await editor.screenshot('results-case-dark');
    await assertInert(editor, frame);

    // Mouse over and click through every rendered payload: still nothing runs.
    for (const el of await frame.locator('.detail pre, .detail .j-str').all()) await el.hover().catch(() => undefined);
    await assertInert(editor, frame);

    // localResourceRoots: the extension's dist/ loads, a workspace file does not.
    const scriptSrc = await frame.evaluate(() => (document.querySelector('script[src]') as HTMLScriptElement).src);
    const load = (url: string) => frame.evaluate((u) => new Promise<boolean>((res) => {
      const i = new Image();
      i.addEventListener('load', () => res(true));
      i.addEventListener('error', () => res(false));
      i.src = u;
      setTimeout(() => res(false), 10_000);
    }), url);
    const mediaUrl = scriptSrc.replace(/dist\/webview\.js.*$/, 'media/awb.svg');
    assert.equal(await load(mediaUrl), true, `extension media loads: ${mediaUrl}`);
    const extPath = decodeURIComponent(new URL(scriptSrc).pathname).replace(/\/dist\/webview\.js$/, '');
    const wsFile = join(editor.workspace, 'canary.secret.txt');
    const wsUrl = scriptSrc.replace(encodeURI(extPath) + '/dist/webview.js', encodeURI(wsFile)).replace(extPath + '/dist/webview.js', wsFile);
    assert.notEqual(wsUrl, scriptSrc);
    assert.equal(await load(wsUrl), false, `a workspace file must not load: ${wsUrl}`);

    // Human review: agree → stored in the run folder, agreement shows in the summary.
    await frame.locator('vscode-button', { hasText: /^\s*Agree\s*$/ }).click();
    await frame.locator('.review-current', { hasText: 'Your label: agree' }).waitFor({ timeout: 30_000 });
    const reviews = join(editor.workspace, 'results', run.runId, 'reviews.sqlite');
    await editor.waitFor(() => existsSync(reviews), 'reviews.sqlite');
    await frame.locator('vscode-tab-header', { hasText: 'Summary' }).click();
    await frame.locator('.card.agreement .card-value', { hasText: '100.0%' }).waitFor();

    // Compare the case across models × personas.
    await frame.locator('vscode-tab-header', { hasText: 'Compare' }).click();
    await frame.locator('.cmp-cell').first().waitFor();
    assert.equal(await frame.locator('.cmp-cell').count(), run.models.length * run.personas.length);
    await assertInert(editor, frame);

    // Light theme, picked as a user would; the open view follows it.
    await editor.runCommand('Preferences: Color Theme');
    const input = editor.page.locator('.quick-input-widget input').first();
    await input.fill('Light Modern');
    await editor.pickQuickInput(/^\s*Light Modern/);
    await editor.waitFor(async () => (await frame.evaluate(() => document.body.className)).includes('vscode-light'), 'the light theme in the webview');
    await frame.locator('vscode-tab-header', { hasText: 'Summary' }).click();
    await frame.locator('canvas').first().waitFor();
    await new Promise((r) => setTimeout(r, 700));
    await editor.screenshot('results-summary-light');
    await frame.locator('vscode-tab-header', { hasText: 'Cases' }).click();
    await frame.locator('.detail .judge .json').waitFor();
    await editor.screenshot('results-case-light');
    await frame.locator('.detail vscode-button', { hasText: 'Close' }).click();
    await editor.screenshot('results-table-light');
    await assertInert(editor, frame);

    // Open in dataset: the dataset file (named `"><svg onload=…>.cases.jsonl`) opens at the case's line.
    await frame.locator('vscode-tab-header', { hasText: 'Cases' }).click();
    await frame.locator('.tscroll .trow').first().click();
    await frame.locator('vscode-button', { hasText: 'Open in dataset' }).click();
    await editor.page.locator('.tab', { hasText: '"><svg onload=window.__pwned=10>.cases.jsonl' }).first().waitFor({ timeout: 30_000 });
    await editor.waitForStatusBar(/Ln 2, Col 1/);
    await assertInert(editor, frame);

    // Open Results from the palette offers the run (and reveals the open panel).
    await editor.runCommand('Alignment Workbench: Open Results');
    await editor.pickQuickInput(run.runId);

    // Live: rows appended to partials.jsonl show up without reopening.
    await frame.locator('.filters vscode-button', { hasText: 'Clear' }).click();
    const partials = join(editor.workspace, 'results', run.runId, 'partials.jsonl');
    const extra = run.rows.slice(0, 12).map((r) => JSON.stringify({ ...r, test_id: `late-${r.test_id}`, key: `late-${r.key}` })).join('\n') + '\n';
    writeFileSync(partials, readFileSync(partials, 'utf8') + extra);
    await frame.locator('.filters .count', { hasText: `${ROWS + 12} rows` }).waitFor({ timeout: 30_000 });

    // Reload the window: the serializer restores the panel on the same run, on the tab it was on.
    await editor.page.reload();
    await editor.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const restored = await editor.webviewFrame('#app .run-head', 'the results webview', { timeoutMs: 90_000 });
    await restored.locator('.run-head h1', { hasText: run.runId }).waitFor();
    // (Which tab and filters come back depends on when the editor last saved the webview state.)
    await restored.locator('.run-head', { hasText: `${ROWS + 12} / ${ROWS} rows` }).waitFor({ timeout: 30_000 });
    await assertInert(editor, restored);
  });
});
