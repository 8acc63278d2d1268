// `npm run lint` keeps the layers of docs/architecture.md: each plant below must be refused by the
// project's own ESLint config, and the tree as committed must pass it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';

const root = resolve(import.meta.dirname, '../..');

/** Writes the planted files, lints them with the repository's config, and always removes them. */
async function lintPlanted(files: Record<string, string>): Promise<ESLint.LintResult[]> {
  const tag = `lintplant_${process.pid}`;
  const written: string[] = [];
  const dirs = new Set<string>();
  try {
    for (const [rel, text] of Object.entries(files)) {
      const abs = join(root, rel.replace('PLANT', tag));
      mkdirSync(join(abs, '..'), { recursive: true });
      dirs.add(join(abs, '..'));
      writeFileSync(abs, text);
      written.push(abs);
    }
    const eslint = new ESLint({ cwd: root });
    return await eslint.lintFiles(written);
  } finally {
    for (const f of written) rmSync(f, { force: true });
    for (const d of dirs) if (d.includes(tag)) rmSync(d, { recursive: true, force: true });
  }
}

function ruleIds(results: ESLint.LintResult[]): string[] {
  return results.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message}`));
}

test('lint refuses a vscode import in the core', async () => {
  const msgs = ruleIds(await lintPlanted({ 'src/core/PLANT/planted.ts': "import * as vscode from 'vscode';\nexport const x = vscode;\n" }));
  assert.ok(msgs.some((m) => m.startsWith('no-restricted-imports') && m.includes('Only src/extension/ may import vscode')), msgs.join('\n'));
});

test('lint refuses a webview import of a core module', async () => {
  const msgs = ruleIds(await lintPlanted({
    'webview/PLANT/planted.ts': "import { runBenchmark } from '../../src/core/run/runner';\nexport const x = runBenchmark;\n",
  }));
  assert.ok(msgs.some((m) => m.startsWith('no-restricted-imports') && m.includes('only from src/shared')), msgs.join('\n'));
});

test('lint refuses an import cycle', async () => {
  const msgs = ruleIds(await lintPlanted({
    'src/core/PLANT/a.ts': "import { b } from './b';\nexport const a = (): number => b() + 1;\n",
    'src/core/PLANT/b.ts': "import { a } from './a';\nexport const b = (): number => (a.length ? 0 : 1);\n",
  }));
  assert.ok(msgs.some((m) => m.startsWith('import-x/no-cycle')), msgs.join('\n'));
});

test('lint refuses a floating promise and HTML injection in the webview', async () => {
  const msgs = ruleIds(await lintPlanted({
    'webview/PLANT/planted.ts': "export async function f(): Promise<void> {}\nexport function g(el: HTMLElement, s: string): void { void 0; f(); el.innerHTML = s; }\n",
  }));
  assert.ok(msgs.some((m) => m.startsWith('@typescript-eslint/no-floating-promises')), msgs.join('\n'));
  assert.ok(msgs.some((m) => m.startsWith('no-restricted-syntax') && m.includes('textContent')), msgs.join('\n'));
});

test('the cycle check refuses a cycle made of type imports only (ESLint skips those)', async () => {
  const { spawnSync } = await import('node:child_process');
  const tag = `lintplant_${process.pid}_types`;
  const dir = join(root, 'src/core', tag);
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b';\nexport interface A { b?: B }\n");
    writeFileSync(join(dir, 'b.ts'), "import type { A } from './a';\nexport interface B { a?: A }\n");
    const r = spawnSync(process.execPath, [join(root, 'scripts/checkCycles.mjs')], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`${tag}/a\\.ts ↔ src/core/${tag}/b\\.ts`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const clean = spawnSync(process.execPath, [join(root, 'scripts/checkCycles.mjs')], { encoding: 'utf8' });
  assert.equal(clean.status, 0, `the tree as committed has no cycle:\n${clean.stderr}`);
});

test('lint refuses a run file named outside the run folder\'s owner', async () => {
  const msgs = ruleIds(await lintPlanted({
    'src/core/PLANT/planted.ts': "import { join } from 'node:path';\nexport const f = (dir: string): string => join(dir, 'partials.jsonl');\n",
  }));
  assert.ok(msgs.some((m) => m.startsWith('no-restricted-syntax') && m.includes('RUN_FILES')), msgs.join('\n'));
});

test('lint refuses a command registered outside the command table\'s registerCommands (and still a run file name beside it)', async () => {
  const msgs = ruleIds(await lintPlanted({
    'src/extension/PLANT/planted.ts': "import * as vscode from 'vscode';\nexport const d = vscode.commands.registerCommand('alignmentWorkbench.planted', () => 'run.json');\n",
  }));
  assert.ok(msgs.some((m) => m.startsWith('no-restricted-syntax') && m.includes('src/extension/commands.ts')), msgs.join('\n'));
  assert.ok(msgs.some((m) => m.startsWith('no-restricted-syntax') && m.includes('RUN_FILES')), msgs.join('\n'));
});

test('lint refuses an import of a command module anywhere but the CLI dispatcher', async () => {
  const message = 'Only src/cli/main.ts imports a command module';
  const msgs = ruleIds(await lintPlanted({
    // A command borrowing from another command…
    'src/cli/commands/PLANT.ts': "import { runCommand } from './run';\nexport const x = runCommand;\n",
    // …and shared CLI code reaching into one.
    'src/cli/PLANT/planted.ts': "import { scoreCommand } from '../commands/score';\nexport const y = scoreCommand;\n",
  }));
  assert.equal(msgs.filter((m) => m.startsWith('no-restricted-imports') && m.includes(message)).length, 2, msgs.join('\n'));
  // The registry command's parts import each other; shared CLI modules import each other.
  const allowed = ruleIds(await lintPlanted({
    'src/cli/commands/PLANT.ts': "import { parseSub } from './registryArgs';\nimport { ProgressPrinter } from '../progressPrinter';\nexport const z = [parseSub, ProgressPrinter];\n",
  }));
  assert.deepEqual(allowed.filter((m) => m.includes(message)), [], allowed.join('\n'));
});
