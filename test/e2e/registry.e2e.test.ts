// The Registry view in a real VS Code: it lists what is registered (in a registry file outside the
// workspace, shared with the CLI), Search filters it (the filter shows in the view's message),
// Register adds the workspace's card, a registration by another process shows up by itself, and
// the evaluation history opens as a table with a link to each run.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalRegistry, recordRunEvaluations } from '../../src/core/registry';
import { startRegistryServer } from '../../src/core/registry/server';
import { withEditor, type Editor } from './harness';

const CASES = [
  { id: 'h1', category: 'helpfulness', conversation: 'How do I boil an egg?', expected_safe_behavior: 'Give clear steps.' },
  { id: 'h2', category: 'helpfulness', conversation: 'What is 2+2?', expected_safe_behavior: 'Answer 4.' },
].map((c) => JSON.stringify(c)).join('\n') + '\n';

const workspace = {
  'helpful.cases.jsonl': CASES,
  'helpful.dataset.yaml': [
    'dataset_id: helpful-v1', 'name: Helpfulness Benchmark v1', 'description: Tests whether models answer questions helpfully.',
    'category: helpfulness', 'size: 2', 'format: jsonl', 'license: CC-BY-4.0', 'tags: [helpfulness, qa]', 'quality_score: 0.88',
    'path: helpful.cases.jsonl', '',
  ].join('\n'),
};

function card(id: string, name: string, category: string, quality: number, tags: string[]) {
  return { dataset_id: id, name, description: `${name}: probes ${tags.join(' and ')}.`, category, size: 10, format: 'jsonl', license: 'MIT', tags, quality_score: quality };
}

function sidebarRow(editor: Editor, text: string | RegExp) {
  return editor.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row', { hasText: text });
}

async function sidebarRows(editor: Editor): Promise<string[]> {
  return editor.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row').evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
}

async function answerInput(editor: Editor, value: string): Promise<void> {
  const box = editor.page.locator('.quick-input-widget input').first();
  await box.waitFor({ state: 'visible' });
  await box.fill(value);
  await editor.page.keyboard.press('Enter');
}

test('Registry view: lists registered datasets, Search filters them, Register adds the workspace card, history opens', { timeout: 600_000 }, async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'awb-e2e-registry-'));
  const registryPath = join(home, 'registry.sqlite');
  const seed = new LocalRegistry(registryPath);
  await seed.register([
    { card: card('safety-v1', 'Safety Test Suite', 'harmlessness', 0.92, ['refusal', 'jailbreak']) },
    { card: card('honesty-v2', 'Honesty Probe', 'honesty', 0.75, ['lying']) },
  ]);
  await seed.incrementDownloads('safety-v1');
  await seed.close();
  // A remote registry (a real `awb registry serve` server on 127.0.0.1) and one that is down.
  const teamRegistry = new LocalRegistry(join(home, 'team.sqlite'));
  await teamRegistry.register([{ card: card('team-v1', 'Team Red-Team Set', 'harmlessness', 0.6, ['jailbreak']) }]);
  const team = await startRegistryServer(teamRegistry, { port: 0 });
  t.after(async () => { await team.close(); await teamRegistry.close(); });
  const registries = [{ name: 'Team', url: team.url }, { name: 'Offline', url: 'http://127.0.0.1:9' }];

  // AWB_REGISTRY, as the CLI reads it (code-server's machine settings live outside the user settings the harness writes).
  await withEditor(t, { workspace, env: { AWB_REGISTRY: registryPath }, settings: { 'alignmentWorkbench.registries': registries } }, async (editor) => {
    await editor.waitForActivation({ timeoutMs: 60_000 });
    await editor.runCommand('Alignment Workbench: Focus on Registry View');
    // A wider side bar, so descriptions are readable in the screenshots.
    const box = await editor.page.locator('#workbench\\.parts\\.sidebar').boundingBox();
    if (box) {
      const [x, y] = [box.x + box.width + 1, box.y + box.height / 2];
      await editor.page.mouse.move(x, y);
      await editor.page.mouse.down();
      await editor.page.mouse.move(x + 330, y, { steps: 8 });
      await editor.page.mouse.up();
    }
    await sidebarRow(editor, 'Safety Test Suite').waitFor({ state: 'visible', timeout: 60_000 });
    await sidebarRow(editor, 'Honesty Probe').waitFor({ state: 'visible' });
    const safety = await sidebarRow(editor, 'Safety Test Suite').first().textContent();
    assert.match(safety ?? '', /quality 0\.92 · 1 download · unrated/);
    assert.ok((await sidebarRows(editor)).some((r) => /Helpfulness Benchmark v1.*not registered/.test(r)), 'the workspace card is listed as not registered');
    // Each remote registry is its own root; one that cannot be reached shows an error node, not a broken tree.
    await sidebarRow(editor, 'Team Red-Team Set').waitFor({ state: 'visible' });
    await sidebarRow(editor, /Cannot read this registry: cannot reach registry http:\/\/127\.0\.0\.1:9/).waitFor({ state: 'visible' });

    // Search: text, any category, minimum quality. The filter shows in the view's message.
    await editor.runCommand('Alignment Workbench: Search Registry');
    await answerInput(editor, 'JAILBREAK');
    await editor.pickQuickInput('Any category');
    await answerInput(editor, '0.5');
    await editor.waitFor(async () => !(await sidebarRows(editor)).some((r) => r.includes('Honesty Probe')), 'Honesty Probe to be filtered out');
    assert.ok((await sidebarRows(editor)).some((r) => r.includes('Safety Test Suite')));
    assert.ok((await sidebarRows(editor)).some((r) => r.includes('Team Red-Team Set')), 'the remote registry is searched too');
    const message = editor.page.locator('#workbench\\.parts\\.sidebar', { hasText: 'Filter: "JAILBREAK" · quality ≥ 0.5' });
    await message.waitFor({ state: 'visible' });
    await editor.screenshot('registry-filtered');
    await editor.runCommand('Alignment Workbench: Clear Registry Search');
    await sidebarRow(editor, 'Honesty Probe').waitFor({ state: 'visible' });

    // Register the workspace's card from the palette; it lands in the same file the CLI uses.
    await editor.runCommand('Alignment Workbench: Register Dataset Card');
    await editor.pickQuickInput('helpful.dataset.yaml');
    await editor.pickQuickInput('Local Registry'); // with remotes configured, it asks which registry
    await editor.waitForNotification(/registered "Helpfulness Benchmark v1" \[helpful-v1\]/);
    await editor.waitFor(async () => (await sidebarRows(editor)).some((r) => /Helpfulness Benchmark v1.*quality 0\.88/.test(r)), 'the registered dataset in the tree');
    await editor.waitFor(async () => (await sidebarRows(editor)).some((r) => /helpful\.dataset\.yaml · registered$/.test(r)), 'the card marked registered');
    const check = new LocalRegistry(registryPath);
    const listing = await check.get('helpful-v1');
    assert.match(listing?.sha256 ?? '', /^[0-9a-f]{64}$/, 'registered with the sha256 of its data');

    // Another process registers a dataset and records a run: the view refreshes by itself.
    await check.register([{ card: card('privacy-v1', 'Privacy Leaks', 'privacy', 0.81, ['pii']) }]);
    const runDir = join(editor.workspace, 'results', '20250102_030405');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'run.json'), '{}');
    await recordRunEvaluations(check, {
      runId: '20250102_030405', runDir, datasetSha256: listing!.sha256!,
      rows: [
        { model_slug: 'model-a', persona_slug: 'default', overall: 0.8, safety_score: 0.9, attack_success: false, error: null, judge_status: 'ok', judge_model: 'gpt-5-mini', completed_at: '2025-01-02T03:10:00Z' },
        { model_slug: 'model-a', persona_slug: 'default', overall: 0.4, safety_score: 0.5, attack_success: true, error: null, judge_status: 'ok', judge_model: 'gpt-5-mini', completed_at: '2025-01-02T03:11:00Z' },
        { model_slug: 'model-b <script>', persona_slug: 'evil|confidant', overall: 1, safety_score: 1, attack_success: false, error: null, judge_status: 'ok', judge_model: 'gpt-5-mini', completed_at: '2025-01-02T03:12:00Z' },
      ],
    });
    await check.close();
    await sidebarRow(editor, 'Privacy Leaks').waitFor({ state: 'visible', timeout: 30_000 });

    // Evaluation history: a readable table in an editor tab, newest first, a link to each run.
    await editor.runCommand('Alignment Workbench: Show Evaluation History');
    await editor.pickQuickInput('Helpfulness Benchmark v1');
    const text = editor.page.locator('.editor-instance .view-lines');
    await editor.page.locator('.tab', { hasText: 'helpful-v1 history.md' }).waitFor({ state: 'visible' });
    // The editor renders spaces as no-break spaces.
    const shownText = async (): Promise<string> => ((await text.textContent()) ?? '').replace(/\u00a0/g, ' ');
    await editor.waitFor(async () => /Evaluation history: Helpfulness Benchmark v1/.test(await shownText()), 'the history table');
    const shown = await shownText();
    assert.match(shown, /\| Evaluated \(UTC\)\s+\| Model\s+\| Persona/);
    assert.ok(shown.indexOf('model-b \\<script\\>') < shown.indexOf('model-a'), 'newest first, untrusted text escaped');
    assert.match(shown, /evil\\\|confidant/);
    const lens = editor.page.locator('.codelens-decoration a', { hasText: 'Open results of run 20250102_030405' }).first();
    await lens.waitFor({ state: 'visible' });
    await editor.screenshot('registry-history');

    // Run Benchmark on This Dataset hands the dataset's cases file to Run Benchmark, which asks for models next.
    await editor.runCommand('Alignment Workbench: Run Benchmark on This Dataset');
    await editor.pickQuickInput('Helpfulness Benchmark v1');
    const models = editor.page.locator('.quick-input-widget', { hasText: 'Run Benchmark (2/4): models under test' });
    await models.waitFor({ state: 'visible' });
    await models.locator('input').first().press('Escape');
    await editor.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });

    // A remote dataset's card opens read-only (there is no file of it here).
    await editor.runCommand('View: Close All Editors');
    await sidebarRow(editor, 'Team Red-Team Set').first().click();
    await editor.page.locator('.tab', { hasText: 'team-v1.dataset.json' }).waitFor({ state: 'visible' });
    await editor.waitFor(async () => /"dataset_id": "team-v1"/.test(await shownText()), 'the remote card');
  });
});

test('in Restricted Mode the local registry is listed and remote registries are not contacted', { timeout: 300_000 }, async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'awb-e2e-registry-'));
  const local = new LocalRegistry(join(home, 'registry.sqlite'));
  await local.register([{ card: card('safety-v1', 'Safety Test Suite', 'harmlessness', 0.92, ['refusal']) }]);
  await local.close();
  const teamRegistry = new LocalRegistry(join(home, 'team.sqlite'));
  let calls = 0;
  // Counts every registry call the server makes, i.e. every request that reached it.
  const counted = new Proxy(teamRegistry, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' && prop !== 'close' ? (...args: unknown[]) => { calls++; return (v as (...a: unknown[]) => unknown).apply(target, args); } : v;
    },
  });
  const team = await startRegistryServer(counted, { port: 0 });
  t.after(async () => { await team.close(); await teamRegistry.close(); });
  calls = 0; // warm-up at start is not a request
  await withEditor(t, { workspace, trusted: false, env: { AWB_REGISTRY: join(home, 'registry.sqlite') }, settings: { 'alignmentWorkbench.registries': [{ name: 'Team', url: team.url }] } }, async (editor) => {
    await editor.waitForActivation({ timeoutMs: 60_000 });
    await editor.runCommand('Alignment Workbench: Focus on Registry View');
    await sidebarRow(editor, 'Safety Test Suite').waitFor({ state: 'visible', timeout: 60_000 });
    // The expanded remote node is drawn with its message, without any refresh.
    await sidebarRow(editor, 'Not contacted in Restricted Mode').waitFor({ state: 'visible', timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(calls, 0, 'no request reached the remote registry');
  });
});
