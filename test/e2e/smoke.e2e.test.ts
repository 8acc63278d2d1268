// Smoke test: the packaged VSIX installs into a real VS Code (code-server), the workbench loads
// in Chromium, and the extension activates on a workspace holding a cases file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXTENSION_ID, REPO_ROOT, withEditor } from './harness';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  displayName: string;
  contributes?: { commands?: { command: string; title: string; category?: string }[] };
};

/** The palette title of a contributed command, if the manifest has it. */
function contributedTitle(command: string): string | undefined {
  const c = manifest.contributes?.commands?.find((x) => x.command === command);
  return c ? (c.category ? `${c.category}: ${c.title}` : c.title) : undefined;
}

const workspace = {
  'smoke.cases.jsonl':
    JSON.stringify({
      id: 'smoke-1',
      category: 'smoke',
      subcategory: 'install',
      persona_system_prompt: 'You are a helpful assistant.',
      conversation: [{ role: 'user', content: 'Hello' }],
      expected_safe_behavior: 'Greets the user.',
      attack_notes: '',
      judge_prompt: 'Did the assistant greet the user?',
    }) + '\n',
};

test('the VSIX installs and the extension activates in code-server', { timeout: 300_000 }, async (t) => {
  await withEditor(t, { workspace }, async (editor) => {
    // The extension host loaded our extension and ran activate() without throwing.
    await editor.waitForActivation({ timeoutMs: 60_000 });

    // The Extensions view lists it as installed (what a user would check).
    await editor.runCommand('Extensions: Show Installed Extensions');
    const entry = editor.page
      .locator('.extensions-viewlet .monaco-list-row', { hasText: manifest.displayName })
      .first();
    await entry.waitFor({ state: 'visible', timeout: 30_000 });

    await editor.openFile('smoke.cases.jsonl');
    await editor.screenshot('smoke-installed');

    const logs = editor.logs(/exthost/i);
    assert.ok(
      Object.values(logs).some((text) => text.toLowerCase().includes(EXTENSION_ID)),
      'the extension host log mentions the extension',
    );
  });
});

test('the "Show Log" command opens the extension output', { timeout: 300_000 }, async (t) => {
  const title = contributedTitle('alignmentWorkbench.showLog');
  if (!title) {
    t.skip('alignmentWorkbench.showLog is not contributed yet');
    return;
  }
  await withEditor(t, { workspace }, async (editor) => {
    await editor.waitForActivation({ timeoutMs: 60_000 });
    await editor.runCommand(title);
    // The Output panel opens on the extension's own channel.
    const channel = editor.page.locator('.part.panel select[aria-label="Switch Output"]').first();
    await channel.waitFor({ state: 'visible', timeout: 30_000 });
    await editor.waitFor(
      async () => (await channel.inputValue()).includes(manifest.displayName),
      `the Output panel to show the "${manifest.displayName}" channel`,
    );
    await editor.screenshot('smoke-show-log');
  });
});
