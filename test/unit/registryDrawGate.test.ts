// The Registry view's refresh gate: a refresh asked for while the tree is being drawn (the root
// fetched, expanded nodes' children still to come) waits for the draw to end, merged into one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrawGate } from '../../src/extension/registry/drawGate';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

test('refreshes during a draw are held until every expanded node has its children, then fired once', async () => {
  let t = 1_000;
  let fired = 0;
  const gate = new DrawGate(() => { fired++; }, () => t);
  try {
    gate.request();
    assert.equal(fired, 1, 'nothing being drawn: the refresh goes out at once');

    // VS Code fetches the root the refresh asked for; a refresh asked for meanwhile waits.
    gate.request();
    assert.equal(fired, 1, 'the root of the last refresh has not been fetched yet');
    const root = deferred<string[]>();
    const rootDone = gate.track(undefined, () => root.promise, (ids) => ids);
    gate.request();
    assert.equal(fired, 1, 'the root is being fetched');
    root.resolve(['source:local', 'source:remote']);
    await rootDone;
    assert.equal(fired, 1, 'VS Code is about to ask for the children of the two expanded nodes');

    const local = deferred<string[]>();
    const localDone = gate.track('source:local', () => local.promise, (ids) => ids);
    local.resolve([]);
    await localDone;
    gate.request();
    assert.equal(fired, 1, 'the remote node is still to be drawn');
    await gate.track('source:remote', async () => ['message'], () => []);
    assert.equal(fired, 2, 'the draw is over: the refreshes asked for during it go out as one');
  } finally {
    gate.dispose();
  }
});

test('a node VS Code never asks for (collapsed by the user) holds a refresh only until its deadline', async () => {
  let t = 1_000;
  let fired = 0;
  const gate = new DrawGate(() => { fired++; }, () => t);
  try {
    await gate.track(undefined, async () => ['collapsed-by-user'], (ids) => ids);
    gate.request();
    assert.equal(fired, 0);
    t += 10_000;
    gate.request();
    assert.equal(fired, 1);
  } finally {
    gate.dispose();
  }
});
