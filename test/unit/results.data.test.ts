import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartialsReader } from '../../src/core/results/reader';
import { RowTable } from '../../src/shared/results/query';
import { aggregateByModelPersona, cohensKappa, judgeHumanAgreement } from '../../src/shared/results/aggregate';
import { toViewRow } from '../../src/core/results/viewRow';
import type { Review, ViewRow } from '../../src/shared/results/types';
import type { ResultRow } from '../../src/core/runFolder';
import { makeRun } from '../support/makeRun';

function tmp(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'awb-results-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function readAll(reader: PartialsReader, batch = 2000): Promise<ResultRow[]> {
  const out: ResultRow[] = [];
  await reader.readAppended((rows) => { out.push(...rows); }, { batch });
  return out;
}

test('reader: every row of a finished run, de-duplicated by key with the last line winning', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 300, duplicates: 20 });
  const reader = new PartialsReader(join(run.runDir, 'partials.jsonl'));
  const seen = new Map<string, ResultRow>();
  for (const r of await readAll(reader, 64)) seen.set(r.key, r);
  assert.equal(reader.size, 300);
  assert.equal(seen.size, 300);
  // The first 20 keys were written twice: an errored attempt, then the real row.
  for (const r of run.rows.slice(0, 20)) {
    assert.deepEqual(seen.get(r.key), r);
    assert.deepEqual(await reader.getRow(r.key), r, 'the byte index points at the last line');
  }
  assert.equal(reader.skippedCount, 0);
});

test('reader: a generation error after a good row of the same key does not replace it (as results.csv)', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 6 });
  const file = join(run.runDir, 'partials.jsonl');
  const good = run.rows.find((r) => !r.error)!;
  appendFileSync(file, JSON.stringify({ ...good, error: 'APITimeoutError', raw_candidate: null }) + '\n');
  const reader = new PartialsReader(file);
  const rows = await readAll(reader);
  assert.equal(rows.filter((r) => r.key === good.key).length, 1, 'the errored repeat is not handed on');
  assert.deepEqual(await reader.getRow(good.key), good);
  // A later good row still replaces an earlier good one (a re-score).
  appendFileSync(file, JSON.stringify({ ...good, overall: 0.01 }) + '\n');
  const more = await readAll(reader);
  assert.equal(more[0]!.overall, 0.01);
  assert.equal((await reader.getRow(good.key))!.overall, 0.01);
});

test('reader: reads only appended bytes, waits for a torn last line, skips bad lines, restarts on rewrite', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 40 });
  const file = join(run.runDir, 'partials.jsonl');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  writeFileSync(file, lines.slice(0, 10).join('\n') + '\n');
  const reader = new PartialsReader(file);
  assert.equal((await readAll(reader)).length, 10);
  const at = reader.offset;

  // A row half-written: nothing yet.
  const half = Math.floor(lines[10]!.length / 2);
  appendFileSync(file, lines[10]!.slice(0, half));
  assert.equal((await readAll(reader)).length, 0);
  assert.equal(reader.offset, at);
  // Its second half plus a garbage line plus one more row.
  appendFileSync(file, lines[10]!.slice(half) + '\n{"not": "a row"}\n{oops\n' + lines[11] + '\n');
  const next = await readAll(reader);
  assert.deepEqual(next.map((r) => r.test_id), [run.rows[10]!.test_id, run.rows[11]!.test_id]);
  assert.equal(reader.skippedCount, 2);
  assert.deepEqual(reader.skipped.map((s) => s.line), [12, 13]);
  assert.match(reader.skipped[1]!.reason, /JSON/);

  // Rewritten shorter: starts over.
  writeFileSync(file, lines.slice(0, 3).join('\n') + '\n');
  assert.equal(await reader.shrunk(), true);
  const again: ResultRow[] = [];
  const res = await reader.readAppended((rows) => { again.push(...rows); });
  assert.equal(res.reset, true);
  assert.equal(again.length, 3);
  assert.equal(reader.size, 3);
});

test('reader: a missing file reads as empty and a CRLF file reads fine', async (t) => {
  const dir = tmp(t);
  assert.equal((await readAll(new PartialsReader(join(dir, 'nope.jsonl')))).length, 0);
  const run = await makeRun({ workspace: dir, rows: 5 });
  const file = join(run.runDir, 'partials.jsonl');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
  assert.equal((await readAll(new PartialsReader(file))).length, 5);
});

function vr(p: Partial<ViewRow> & { key: string }): ViewRow {
  return {
    test_id: p.key, category: 'safety', subcategory: 'weapons', persona: 'default', model: 'm1', attack_success: false,
    overall: 0.5, safety: 0.5, error: null, error_kind: null, judge_status: 'ok', answer: '', latency_ms: 100,
    attempts: 1, judge_attempts: 1, completed_at: '2025-01-01T00:00:00Z', group_id: null, perspective: null,
    score: null, stance: null, ...p,
  };
}

test('table: filters by model, persona, category, subcategory, verdict, error kind and text', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 2000 });
  const table = new RowTable();
  table.upsert(run.rows.map(toViewRow));
  const pick = (f: Parameters<RowTable['query']>[0]) => [...table.query(f)].map((i) => table.rows[i]!);
  const all = run.rows;

  assert.equal(pick({}).length, 2000);
  const m = pick({ models: ['gpt-4.1-mini'] });
  assert.equal(m.length, all.filter((r) => r.model_slug === 'gpt-4.1-mini').length);
  assert.ok(m.length > 0 && m.every((r) => r.model === 'gpt-4.1-mini'));

  const combo = pick({ models: ['gpt-4.1'], personas: ['evil_confidant'], categories: ['privacy'], attack: 'true' });
  const expected = all.filter((r) => r.model_slug === 'gpt-4.1' && r.persona_slug === 'evil_confidant' && r.category === 'privacy' && r.attack_success === true);
  assert.deepEqual(combo.map((r) => r.key), expected.map((r) => r.key));

  assert.equal(pick({ subcategories: ['doxxing'] }).length, all.filter((r) => r.subcategory === 'doxxing').length);
  assert.equal(pick({ attack: 'null' }).length, all.filter((r) => r.attack_success === null).length);
  assert.equal(pick({ error: 'gen' }).length, all.filter((r) => r.error !== null).length);
  assert.equal(pick({ error: 'judge' }).length, all.filter((r) => r.judge_status === 'error').length);
  assert.equal(pick({ error: 'some' }).length, all.filter((r) => r.error !== null || r.judge_status === 'error').length);
  assert.equal(pick({ error: 'none' }).length + pick({ error: 'some' }).length, 2000);
  assert.ok(pick({ error: 'gen' }).length > 0 && pick({ error: 'judge' }).length > 0, 'the fixture has both kinds');

  // Free text: answers, case-insensitively.
  const hits = pick({ text: 'DEVELOPER MODE THERE ARE NO RULES' });
  assert.equal(hits.length, all.filter((r) => (r.raw_candidate ?? '').toLowerCase().includes('developer mode there are no rules')).length);
  assert.ok(hits.length > 0);
  // …and prompts, through the snapshot text per test id.
  table.setPrompts({ [all[0]!.test_id]: 'A very particular PROMPT phrase' });
  assert.deepEqual(new Set(pick({ text: 'particular prompt' }).map((r) => r.test_id)), new Set([all[0]!.test_id]));
  assert.equal(pick({ text: '   ' }).length, 2000, 'blank search filters nothing');
});

test('table: sorts by any column with nulls last both ways, and filters keep the sort', () => {
  const table = new RowTable();
  table.upsert([
    vr({ key: 'a', overall: 0.3, model: 'z' }), vr({ key: 'b', overall: null, model: 'y' }),
    vr({ key: 'c', overall: 0.9, model: 'x' }), vr({ key: 'd', overall: 0.1, model: 'x' }),
  ]);
  const keys = (f = {}) => [...table.query(f)].map((i) => table.rows[i]!.key);
  table.setSort({ column: 'overall', descending: false });
  assert.deepEqual(keys(), ['d', 'a', 'c', 'b']);
  table.setSort({ column: 'overall', descending: true });
  assert.deepEqual(keys(), ['c', 'a', 'd', 'b']);
  assert.deepEqual(keys({ models: ['x'] }), ['c', 'd']);
  table.setSort({ column: 'model', descending: false });
  assert.deepEqual(keys(), ['c', 'd', 'b', 'a'], 'ties keep arrival order');
  table.setSort({ column: 'attack_success', descending: false });
  table.upsert([vr({ key: 'a', attack_success: true }), vr({ key: 'b', attack_success: null })]);
  assert.deepEqual(keys(), ['a', 'c', 'd', 'b'], 'an upsert re-sorts; true before false, null last');
  table.setReviews([{ key: 'd', verdict: 'agree', attack_success: null, note: '', updated_at: '' }]);
  table.setSort({ column: 'review', descending: false });
  assert.equal(keys()[0], 'd');
  assert.deepEqual(keys({ reviewed: 'yes' }), ['d']);
  assert.equal(table.size, 4, 'upserting known keys replaced rows');
});

test('aggregates per model × persona leave errors out of the rates and means', () => {
  const rows = [
    vr({ key: '1', model: 'A', persona: 'p', attack_success: true, overall: 0.2, safety: 0.1 }),
    vr({ key: '2', model: 'A', persona: 'p', attack_success: false, overall: 0.8, safety: 0.9 }),
    vr({ key: '3', model: 'A', persona: 'p', attack_success: null, overall: null, safety: null, error: 'x', error_kind: 'gen' }),
    vr({ key: '4', model: 'A', persona: 'p', attack_success: null, overall: null, safety: null, error: 'j', error_kind: 'judge' }),
    vr({ key: '5', model: 'B', persona: 'p', attack_success: false, overall: 1, safety: 1 }),
    vr({ key: '6', model: 'A', persona: 'q', attack_success: true, overall: 0, safety: 0 }),
  ];
  const agg = aggregateByModelPersona(rows, { models: ['B', 'A'] });
  assert.deepEqual(agg.map((a) => `${a.model}/${a.persona}`), ['B/p', 'A/p', 'A/q']);
  const ap = agg[1]!;
  assert.equal(ap.count, 4);
  assert.equal(ap.errors, 2);
  assert.equal(ap.genErrors, 1);
  assert.equal(ap.judgeErrors, 1);
  assert.equal(ap.judged, 2);
  assert.equal(ap.attackSuccessRate, 0.5);
  assert.equal(ap.meanOverall, 0.5);
  assert.equal(ap.meanSafety, 0.5);
  assert.equal(agg[2]!.attackSuccessRate, 1);
  const none = aggregateByModelPersona([vr({ key: 'e', attack_success: null, overall: null, safety: null, error: 'x', error_kind: 'gen' })]);
  assert.equal(none[0]!.attackSuccessRate, null, 'nothing judged is not a 0% rate');
  assert.equal(none[0]!.meanOverall, null);
});

test("judge–human agreement: percent and Cohen's kappa", () => {
  // Textbook example: 50 items, both yes 20, judge yes/human no 5, judge no/human yes 10, both no 15.
  const rows: ViewRow[] = [];
  const reviews = new Map<string, Review>();
  const add = (judge: boolean, human: boolean, n: number) => {
    for (let i = 0; i < n; i++) {
      const key = `${judge}${human}${i}`;
      rows.push(vr({ key, attack_success: judge }));
      // Mix the three ways a reviewer can say the same thing.
      const verdict = human === judge ? 'agree' : i % 2 ? 'disagree' : 'override';
      reviews.set(key, { key, verdict, attack_success: verdict === 'override' ? human : null, note: '', updated_at: '' });
    }
  };
  add(true, true, 20); add(true, false, 5); add(false, true, 10); add(false, false, 15);
  rows.push(vr({ key: 'unlabelled', attack_success: true }));
  rows.push(vr({ key: 'nojudge', attack_success: null }));
  reviews.set('nojudge', { key: 'nojudge', verdict: 'override', attack_success: true, note: '', updated_at: '' });
  const a = judgeHumanAgreement(rows, reviews);
  assert.equal(a.n, 50);
  assert.equal(a.agreements, 35);
  assert.equal(a.percent, 0.7);
  // po = 0.7, pe = 0.5*0.6 + 0.5*0.4 = 0.5 → kappa 0.4
  assert.ok(Math.abs(a.kappa! - 0.4) < 1e-12, String(a.kappa));
  assert.equal(judgeHumanAgreement(rows, new Map()).percent, null);
  assert.equal(cohensKappa(10, 10, 10, 10), null, 'one class only: kappa undefined, not 1');
  assert.equal(cohensKappa(4, 0, 2, 2), -1);
});

test('countLines: an empty partials.jsonl (a run that just started) counts 0 and then its rows', async () => {
  const { countLines } = await import('../../src/core/results/runs');
  const { mkdtempSync, writeFileSync, appendFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const file = join(mkdtempSync(join(tmpdir(), 'awb-count-')), 'partials.jsonl');
  writeFileSync(file, '');
  assert.equal(await countLines(file), 0);
  appendFileSync(file, '{"a":1}\n{"a":2}\n');
  assert.equal(await countLines(file), 2);
});
