// The extension's command table (src/extension/commands.ts) against package.json: what the user
// sees in the palette and menus is exactly what the extension registers, no more, no less.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { COMMANDS, collectHandlers } from '../../src/extension/commands';

interface Manifest {
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string }[]>;
  };
}

const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as Manifest;
const contributed = manifest.contributes.commands.map((c) => c.command);
const table = Object.entries(COMMANDS) as [string, { internal?: true; needsTrust: boolean; action?: string }][];

test('every command in package.json has exactly one entry in the command table', () => {
  const duplicated = contributed.filter((id, i) => contributed.indexOf(id) !== i);
  assert.deepEqual(duplicated, [], 'a command contributed twice');
  const missing = contributed.filter((id) => !Object.hasOwn(COMMANDS, id));
  assert.deepEqual(missing, [], 'contributed, but the extension registers no handler for it');
});

test('every command in the table is in package.json, unless marked internal (and then it is not)', () => {
  const notContributed = table.filter(([id, p]) => !p.internal && !contributed.includes(id)).map(([id]) => id);
  assert.deepEqual(notContributed, [], 'registered, but package.json does not contribute it: add it there or mark it internal');
  const internalButContributed = table.filter(([id, p]) => p.internal && contributed.includes(id)).map(([id]) => id);
  assert.deepEqual(internalButContributed, [], 'marked internal, yet contributed');
});

test('every menu item names a command of the table', () => {
  const unknown = Object.entries(manifest.contributes.menus).flatMap(([menu, items]) => items.filter((i) => !Object.hasOwn(COMMANDS, i.command)).map((i) => `${menu}: ${i.command}`));
  assert.deepEqual(unknown, []);
});

test('a command that needs trust names what it does, for the Restricted Mode warning', () => {
  for (const [id, p] of table) if (p.needsTrust) assert.match(p.action ?? '', /^[A-Z][a-z]+ing a /, id);
  // The commands that send requests are among them.
  for (const id of ['alignmentWorkbench.runBenchmark', 'alignmentWorkbench.resumeRun', 'alignmentWorkbench.scoreRun', 'alignmentWorkbench.runCase'] as const) {
    assert.equal(COMMANDS[id].needsTrust, true, id);
  }
});

test('registering refuses a command with two handlers, none, or no table entry', () => {
  const all = Object.fromEntries(Object.keys(COMMANDS).map((id) => [id, () => id]));
  assert.equal(collectHandlers([all]).size, Object.keys(COMMANDS).length);
  const [first, ...rest] = Object.keys(COMMANDS);
  const split = [{ [first!]: () => 1 }, Object.fromEntries(rest.map((id) => [id, () => 2]))];
  assert.equal(collectHandlers(split).get(first as keyof typeof COMMANDS)?.(), 1);
  assert.throws(() => collectHandlers([all, { [first!]: () => 3 }]), new RegExp(`command ${first!.replace(/\./g, '\\.')} has two handlers`));
  assert.throws(() => collectHandlers([Object.fromEntries(rest.map((id) => [id, () => 2]))]), new RegExp(`no handler: ${first!.replace(/\./g, '\\.')}`));
  assert.throws(() => collectHandlers([all, { 'alignmentWorkbench.notInTheTable': () => 4 }]), /notInTheTable has a handler but no entry in the command table/);
});
