import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGrid, createMasterScorer, gridCaseLine, readGridFile, writeSycophancyCsv, type GridCase } from '../../src/core/grid';
import { resolveRunConfig } from '../../src/core/run/config';
import { runBenchmark } from '../../src/core/run/runner';
import type { ResultRow } from '../../src/core/runFolder';
import { startFakeOpenAI, type FakeRequest, type FakeServer } from '../support/fakeOpenAI';
import { countedRows } from '../support/runnerFixtures';

const RENT = join(__dirname, '..', '..', 'examples', 'rent.grid.yaml');

/** Deterministic noise in [-0.2, 0.2] from the request text, in 0.05 steps. */
function noise(text: string): number {
  return Math.round(((createHash('sha256').update(text).digest()[0]! / 255) * 0.4 - 0.2) * 20) / 20;
}

function question(req: FakeRequest): string {
  const m = /<question>\n([\s\S]*?)\n<\/question>/.exec(req.messages[0]?.content ?? '');
  return m?.[1] ?? '';
}

/** Scores the answer by who asked: a master scorer fooled by the framing (the subject "leans"). */
function leaningScore(req: FakeRequest): number {
  const q = question(req);
  const side = q.startsWith("I'm a landlord") ? 0.5 : q.startsWith('I need a sanity check about my rent') ? -0.5 : 0;
  return side + noise(q);
}

/** Scores the answer by the size of the increase only: whoever asks gets the same lean, plus noise. */
function fairScore(req: FakeRequest): number {
  const q = question(req);
  const merit = q.includes('$1,495') ? 0.4 : q.includes('$1,595') ? 0.2 : q.includes('$1,810') ? -0.2 : -0.6;
  return merit + noise(q);
}

/** Valid verdict, except that every fifth first ask gets a fenced one (the engine re-asks). */
function judge(score: (r: FakeRequest) => number) {
  return (req: FakeRequest): string => {
    const v = JSON.stringify({ score: Math.max(-1, Math.min(1, score(req))), rationale: 'scripted' });
    return req.messages.length === 1 && req.n % 5 === 0 ? '```json\n' + v + '\n```' : v;
  };
}

let server: FakeServer;
let dir: string;
let cases: GridCase[];

before(async () => {
  server = await startFakeOpenAI({
    latencyMs: 1,
    models: { 'lean-scorer': { reply: judge(leaningScore) }, 'fair-scorer': { reply: judge(fairScore) } },
  });
  dir = mkdtempSync(join(tmpdir(), 'awb-grid-run-'));
  const grid = await readGridFile(RENT);
  cases = buildGrid(grid, { includeNeutral: true, limit: 24, seed: 3 }).cases as GridCase[];
  writeFileSync(join(dir, 'rent.cases.jsonl'), cases.map((c) => gridCaseLine(c) + '\n').join(''));
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runWith(judgeModel: string, runId: string) {
  const grid = await readGridFile(RENT);
  const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url };
  const cfg = await resolveRunConfig({ cwd: dir, env, datasets: ['rent.cases.jsonl'], models: ['subject'], judgeModel, runId, concurrency: 8 });
  const summary = await runBenchmark(cfg, { env, scorer: createMasterScorer(grid), checkpointMs: 200 });
  assert.equal(summary.status, 'complete');
  const runDir = join(dir, 'results', runId);
  // The rows that count (each answer is written first as a pending row, then judged).
  const rows: ResultRow[] = countedRows(runDir);
  // The run.json grid snapshot is the lead's wiring; pass the grid's sides explicitly here.
  const report = await writeSycophancyCsv(runDir, { sides: { a: 'landlord', b: 'tenant', neutral: 'neutral' }, thresholds: grid.stance });
  return { rows, report: report.rows, csv: readFileSync(report.path, 'utf8') };
}

test('a real run against the local server: a scorer swayed by the asker gives an uplift whose interval excludes 0', async () => {
  const { rows, report, csv } = await runWith('lean-scorer', 'lean');
  assert.equal(rows.length, 72);
  for (const r of rows) {
    assert.equal(r.judge_status, 'ok', r.judge_error ?? '');
    assert.equal(typeof r.score, 'number');
    assert.equal(r.stance, r.score! < -0.33 ? 'neg' : r.score! > 0.33 ? 'pos' : 'neu');
    assert.ok(r.group_id && r.perspective);
  }
  assert.ok(rows.some((r) => r.judge_attempts === 2), 'fenced verdicts were re-asked, not coerced');
  const [s] = report;
  assert.equal(s!.model_slug, 'subject');
  assert.equal(s!.groups, 24);
  assert.ok(s!.uplift! > 0.8, `uplift ${s!.uplift}`);
  assert.ok(s!.uplift_ci_low! > 0, `CI [${s!.uplift_ci_low}, ${s!.uplift_ci_high}] excludes 0`);
  assert.ok(s!.p_value! < 0.001, `p ${s!.p_value}`);
  assert.ok(s!.pos_a! > 0.5 && s!.neg_b! > 0.5, 'landlord questions scored pro-landlord, tenant questions pro-tenant');
  assert.equal(csv.split('\n').length, 3);
});

test('a real run against the local server: a scorer that ignores the asker gives an interval that includes 0', async () => {
  const { report } = await runWith('fair-scorer', 'fair');
  const [s] = report;
  assert.equal(s!.groups, 24);
  assert.ok(Math.abs(s!.uplift!) < 0.15, `uplift ${s!.uplift}`);
  assert.ok(s!.uplift_ci_low! < 0 && s!.uplift_ci_high! > 0, `CI [${s!.uplift_ci_low}, ${s!.uplift_ci_high}] includes 0`);
  assert.ok(s!.p_value! > 0.05, `p ${s!.p_value}`);
});
