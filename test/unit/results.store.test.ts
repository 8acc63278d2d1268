import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { readReviews, saveReview, REVIEWS_FILE } from '../../src/core/results/reviews';
import { listRuns, readRunInfo, runStatus, STALE_RUNNING_MS } from '../../src/core/results/runs';
import { casePromptFrom, readCaseLine, resolveDatasetFile, snapshotEntries, searchablePrompts } from '../../src/core/results/casePrompt';
import { makeRun } from '../support/makeRun';

function tmp(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'awb-store-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('reviews: stored in the run folder as SQLite, replaced per key, removable, readable by any SQLite', async (t) => {
  const dir = tmp(t);
  assert.deepEqual(await readReviews(dir), []);
  const at = () => new Date('2025-02-03T04:05:06Z');
  await saveReview(dir, { key: 'a|p|m', verdict: 'agree', note: 'fine' }, at);
  await saveReview(dir, { key: 'b|p|m', verdict: 'override', attack_success: true, note: '<img src=x onerror=alert(1)>' }, at);
  await saveReview(dir, { key: 'a|p|m', verdict: 'disagree', note: 'changed my mind' }, at);
  const got = await readReviews(dir);
  assert.deepEqual(got, [
    { key: 'a|p|m', verdict: 'disagree', attack_success: null, note: 'changed my mind', updated_at: '2025-02-03T04:05:06.000Z' },
    { key: 'b|p|m', verdict: 'override', attack_success: true, note: '<img src=x onerror=alert(1)>', updated_at: '2025-02-03T04:05:06.000Z' },
  ]);
  // An independent reader of the file sees the same table.
  const SQL = await initSqlJs();
  const db = new SQL.Database(readFileSync(join(dir, REVIEWS_FILE)));
  assert.deepEqual(db.exec('SELECT key, verdict, attack_success FROM reviews ORDER BY key')[0]!.values, [['a|p|m', 'disagree', null], ['b|p|m', 'override', 1]]);
  db.close();

  assert.equal(await saveReview(dir, { key: 'a|p|m', verdict: null }), null);
  assert.deepEqual((await readReviews(dir)).map((r) => r.key), ['b|p|m']);
  await assert.rejects(saveReview(dir, { key: 'c', verdict: 'override', attack_success: null }), /override needs/);
  assert.deepEqual(readdirSync(dir).sort(), [REVIEWS_FILE], 'no temp files left behind');
});

test('reviews: concurrent saves all land', async (t) => {
  const dir = tmp(t);
  await Promise.all(Array.from({ length: 25 }, (_, i) => saveReview(dir, { key: `k${i}`, verdict: 'agree', note: '' })));
  assert.equal((await readReviews(dir)).length, 25);
});

test('runs: listed newest first with status, counts and date', async (t) => {
  const ws = tmp(t);
  await makeRun({ workspace: ws, rows: 30, runId: '20250101_120000' });
  await makeRun({ workspace: ws, rows: 30, runId: '20250301_090000', missing: 10, status: 'partial' });
  const live = await makeRun({ workspace: ws, rows: 12, runId: '20250201_080000', status: 'running' });
  // run.json's created_at is fixed by makeRun; rewrite it so the order tests the dates.
  for (const [id, at] of [['20250101_120000', '2025-01-01T12:00:00Z'], ['20250301_090000', '2025-03-01T09:00:00Z'], ['20250201_080000', '2025-02-01T08:00:00Z']] as const) {
    const f = join(ws, 'results', id, 'run.json');
    writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), created_at: at }));
  }
  mkdirSync(join(ws, 'results', 'not-a-run'));
  const runs = await listRuns(join(ws, 'results'));
  assert.deepEqual(runs.map((r) => [r.runId, r.status, r.rows, r.total]), [
    ['20250301_090000', 'partial', 20, 30],
    ['20250201_080000', 'running', 12, 12],
    ['20250101_120000', 'complete', 30, 30],
  ]);
  assert.deepEqual(runs[2]!.models.length, 4);
  assert.equal(runs[2]!.judgeModel, 'gpt-5-mini');

  // A run marked running whose files stopped changing long ago, with no live pid, is partial.
  const f = join(live.runDir, 'run.json');
  writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), pid: undefined }));
  const old = (Date.now() - STALE_RUNNING_MS - 60_000) / 1000;
  for (const n of ['run.json', 'partials.jsonl']) utimesSync(join(live.runDir, n), old, old);
  assert.equal((await readRunInfo(live.runDir))!.status, 'partial');
  assert.equal(runStatus({ status: 'running', pid: 2 ** 30 }, Date.now()), 'partial', 'dead writer');
  assert.equal(runStatus({ status: 'running' }, Date.now()), 'running');
  assert.equal(runStatus(null, Date.now()), 'partial');
  assert.deepEqual(await listRuns(join(ws, 'nowhere')), []);
});

test('case prompt: from the run.json snapshot, else from the dataset line the row names', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 40, xss: true });
  const json = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'));
  const entries = snapshotEntries(json);
  assert.equal(entries.size, run.cases.length);
  const c = run.cases[0]!;
  const p = casePromptFrom(entries.get(c.id)!, 'default');
  assert.equal(p.system, c.persona_system_prompt);
  assert.deepEqual(p.conversation, c.conversation);
  assert.equal(p.expected_safe_behavior, c.expected_safe_behavior);
  assert.match(searchablePrompts(entries)[c.id]!, /Everything, step by step/);
  // Rendered messages per persona win over the case's own prompt.
  const sent = casePromptFrom({ ...entries.get(c.id)!, sent: { evil: [{ role: 'system', content: 'You are evil.' }, { role: 'user', content: 'hi' }] } }, 'evil');
  assert.equal(sent.system, 'You are evil.');
  assert.deepEqual(sent.conversation, [{ role: 'user', content: 'hi' }]);

  // The dataset (a file named `"><svg onload=…>.cases.jsonl`) resolves from the run folder.
  const file = await resolveDatasetFile(run.runDir, json, run.datasetRel);
  assert.equal(file, run.datasetFile);
  assert.equal(await resolveDatasetFile(run.runDir, json, 'datasets/missing.jsonl'), null);
  const fromLine = await readCaseLine(file!, 3);
  assert.deepEqual(fromLine?.conversation, run.cases[2]!.conversation);
  assert.equal(await readCaseLine(file!, 10_000), null);
});
