import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { readReviews, saveReview } from '../../src/core/results/reviews';
import { RUN_FILES } from '../../src/core/runFolder';
import { countLines, listRuns, readRunInfo } from '../../src/core/results/runs';
import { readRunJson } from '../../src/core/runFolder';
import { casePrompt, readCaseLine, readCaseSnapshot, resolveDatasetFile, runPersonas, searchablePrompts } from '../../src/core/results/casePrompt';
import { hostname } from 'node:os';
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
  const db = new SQL.Database(readFileSync(join(dir, RUN_FILES.reviews)));
  assert.deepEqual(db.exec('SELECT key, verdict, attack_success FROM reviews ORDER BY key')[0]!.values, [['a|p|m', 'disagree', null], ['b|p|m', 'override', 1]]);
  db.close();

  // …and as CSV beside it, formula cells neutralised.
  await saveReview(dir, { key: 'x|y|p|m', verdict: 'agree', note: '=HYPERLINK("http://evil")' }, at);
  assert.equal(readFileSync(join(dir, 'reviews.csv'), 'utf8'), [
    'key,test_id,persona_slug,model_slug,verdict,attack_success,note,updated_at',
    'a|p|m,a,p,m,disagree,,changed my mind,2025-02-03T04:05:06.000Z',
    'b|p|m,b,p,m,override,true,<img src=x onerror=alert(1)>,2025-02-03T04:05:06.000Z',
    `x|y|p|m,x|y,p,m,agree,,"'=HYPERLINK(""http://evil"")",2025-02-03T04:05:06.000Z`,
    '',
  ].join('\n'));
  await saveReview(dir, { key: 'x|y|p|m', verdict: null });

  assert.equal(await saveReview(dir, { key: 'a|p|m', verdict: null }), null);
  assert.deepEqual((await readReviews(dir)).map((r) => r.key), ['b|p|m']);
  await assert.rejects(saveReview(dir, { key: 'c', verdict: 'override', attack_success: null }), /override needs/);
  assert.deepEqual(readdirSync(dir).sort(), ['reviews.csv', RUN_FILES.reviews], 'no temp files left behind');
});

test('reviews: concurrent saves all land', async (t) => {
  const dir = tmp(t);
  await Promise.all(Array.from({ length: 25 }, (_, i) => saveReview(dir, { key: `k${i}`, verdict: 'agree', note: '' })));
  assert.equal((await readReviews(dir)).length, 25);
});

test('runs: listed newest first with status (running while run.lock is held), counts and date', async (t) => {
  const ws = tmp(t);
  await makeRun({ workspace: ws, rows: 30, runId: '20250101_120000' });
  await makeRun({ workspace: ws, rows: 30, runId: '20250301_090000', missing: 10, status: 'cancelled' });
  const live = await makeRun({ workspace: ws, rows: 12, runId: '20250201_080000', status: 'running' });
  // run.json's created_at is fixed by makeRun; rewrite it so the order tests the dates.
  for (const [id, at] of [['20250101_120000', '2025-01-01T12:00:00Z'], ['20250301_090000', '2025-03-01T09:00:00Z'], ['20250201_080000', '2025-02-01T08:00:00Z']] as const) {
    const f = join(ws, 'results', id, 'run.json');
    writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), created_at: at }));
  }
  mkdirSync(join(ws, 'results', 'not-a-run'));
  const runs = await listRuns(join(ws, 'results'));
  assert.deepEqual(runs.map((r) => [r.runId, r.status, r.recordedStatus, r.rows, r.total]), [
    ['20250301_090000', 'partial', 'cancelled', 20, 30],
    ['20250201_080000', 'running', 'running', 12, 12],
    ['20250101_120000', 'complete', 'complete', 30, 30],
  ]);
  assert.deepEqual(runs[2]!.models, ['gpt-4.1', 'gpt-4.1-mini', 'gemini-2.0-flash', 'llama-3.1-8b']);
  assert.deepEqual(runs[2]!.personas.length, 4);
  assert.equal(runs[2]!.judgeModel, 'gpt-5-mini');
  assert.equal(typeof runs[2]!.done, 'number');

  // The writer died: its lock names a pid that is gone, so the run is partial, not running.
  writeFileSync(join(live.runDir, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), at: new Date().toISOString() }));
  assert.equal((await readRunInfo(live.runDir))!.status, 'partial');
  rmSync(join(live.runDir, 'run.lock'));
  assert.equal((await readRunInfo(live.runDir))!.status, 'partial');
  // A run.json of an unexpected shape still lists the run, with what can be read.
  writeFileSync(join(live.runDir, 'run.json'), JSON.stringify({ run_id: 'x', status: 'complete', config: { models: 'nope' }, counts: 5 }));
  const odd = (await readRunInfo(live.runDir))!;
  assert.deepEqual([odd.runId, odd.status, odd.models, odd.total], ['x', 'complete', [], null]);
  assert.deepEqual(await listRuns(join(ws, 'nowhere')), []);
});

test('case prompt: from the run\'s case snapshot and persona template, else from the dataset line', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 40, xss: true });
  const json = readRunJson(run.runDir);
  const cases = await readCaseSnapshot(run.runDir);
  assert.equal(cases.size, run.cases.length);
  const personas = runPersonas(json);
  const c = run.cases[0]!;
  const asDefault = casePrompt(cases.get(c.id)!, personas.get('default'));
  assert.equal(asDefault.system, c.persona_system_prompt);
  assert.deepEqual(asDefault.conversation, c.conversation);
  assert.equal(asDefault.expected_safe_behavior, c.expected_safe_behavior);
  const asEvil = casePrompt(cases.get(c.id)!, personas.get('evil_confidant'));
  assert.equal(asEvil.system, `You are evil confidant. Stay in character. ${c.persona_system_prompt}`, 'the template rendered over the case');
  assert.match(searchablePrompts(cases)[c.id]!, /Everything, step by step/);

  // The dataset (a file named `"><svg onload=…>.cases.jsonl`) resolves from the run folder.
  const file = await resolveDatasetFile(run.runDir, json, run.datasetRel);
  assert.equal(file, run.datasetFile);
  assert.equal(await resolveDatasetFile(run.runDir, json, 'datasets/missing.jsonl'), null);
  assert.deepEqual((await readCaseLine(file!, 3))?.conversation, run.cases[2]!.conversation);
  assert.equal(await readCaseLine(file!, 10_000), null);
  rmSync(join(run.runDir, 'cases.jsonl'));
  assert.equal((await readCaseSnapshot(run.runDir)).size, 0);
});

test('row counts of a growing partials file stay right as it grows, and after it is replaced', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-count-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'partials.jsonl');
  writeFileSync(file, '{"a":1}\n{"a":2}\n');
  assert.equal(await countLines(file), 2);
  appendFileSync(file, '{"a":3}\n{"a":4}\n{"a":');
  assert.equal(await countLines(file), 4, 'a torn last line is not a row');
  appendFileSync(file, '5}\n');
  assert.equal(await countLines(file), 5);
  writeFileSync(join(dir, 'next'), '{"b":1}\n');
  renameSync(join(dir, 'next'), file);
  assert.equal(await countLines(file), 1, 'a replaced file is counted afresh');
});
