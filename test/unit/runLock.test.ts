import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { acquireRunLock, isLocked, RunLockedError } from '../../src/core/runFolder';

function runDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'awb-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('run.lock: taken, refused to a second holder while a live process has it, released, no temp file left', async (t) => {
  const dir = runDir(t);
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: sleeper.pid, host: hostname(), at: new Date().toISOString() }));
  assert.equal(isLocked(dir), true);
  assert.throws(() => acquireRunLock(dir), (err: unknown) => err instanceof RunLockedError && /in use by another process \(pid \d+/.test(err.message));
  sleeper.kill('SIGKILL');
  await new Promise((r) => sleeper.once('exit', r));
  assert.equal(isLocked(dir), false, 'a dead holder no longer locks the run');
  const release = acquireRunLock(dir);
  assert.equal(isLocked(dir), true);
  release();
  assert.equal(isLocked(dir), false);
  assert.deepEqual(readdirSync(dir), [], 'neither the lock nor its temp file stays behind');
});

test('run.lock: an empty or torn lock (a kill between creating and writing it) does not block a resume', (t) => {
  const dir = runDir(t);
  for (const content of ['', '{"pid": 12']) {
    writeFileSync(join(dir, 'run.lock'), content);
    assert.equal(isLocked(dir), false);
    const release = acquireRunLock(dir);
    release();
  }
});
