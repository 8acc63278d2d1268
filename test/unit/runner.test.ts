import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { resolveRunConfig, type RunInput } from '../../src/core/run/config';
import { runBenchmark, type RunOptions } from '../../src/core/run/runner';
import { scoreRun } from '../../src/core/run/score';
import { listRuns } from '../../src/core/results/runs';
import { ResumeMismatchError } from '../../src/core/run/fingerprint';
import { PartialsCorruptError } from '../../src/core/runFolder';
import { DataError } from '../../src/core/data/load';
import { ConfigError } from '../../src/core/run/config';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { allFiles, CANARY_KEY, countedRows, memoryLogger, readParquetWithDuckDB, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

let server: FakeServer;
before(async () => { server = await startFakeOpenAI({ latencyMs: 3 }); });
after(async () => { await server.close(); });

function env(): NodeJS.ProcessEnv {
  return { OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url };
}

async function run(dir: string, input: Partial<RunInput>, opts: RunOptions = {}) {
  const cfg = await resolveRunConfig({ cwd: dir, env: env(), datasets: ['bench.cases.jsonl'], models: ['m1', 'm2'], personas: ['default', 'evil_confidant'], ...input });
  return runBenchmark(cfg, { env: env(), checkpointMs: 200, ...opts });
}

const keysOf = (rows: { key: string }[]) => rows.map((r) => r.key);

describe('runBenchmark', () => {
  test('a full run: every key once in partials, CSV and Parquet; messages and judge prompts as specified; no key anywhere', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 5);
      server.reset();
      const ml = memoryLogger();
      const s = await run(dir, { runId: 'full' }, { log: ml.log });
      assert.equal(s.status, 'complete');
      assert.deepEqual(s.counts, { total: 20, done: 20, errors: 0, judge_errors: 0, judge_pending: 0 });
      const runDir = join(dir, 'results', 'full');
      const rows = countedRows(runDir);
      assert.equal(rows.length, 20);
      assert.equal(new Set(keysOf(rows)).size, 20);
      // Each answer was written as soon as it arrived (pending), then the judged row after it.
      const written = readPartials(runDir);
      assert.equal(written.length, 40);
      for (const r of rows) {
        const mine = written.filter((w) => w.key === r.key);
        assert.deepEqual(mine.map((w) => w.judge_status), ['pending', 'ok']);
        assert.equal(mine[0]!.raw_candidate, r.raw_candidate);
      }
      for (const r of rows) {
        assert.equal(r.key, `${r.test_id}|${r.persona_slug}|${r.model_slug}`);
        assert.equal(r.judge_status, 'ok');
        assert.equal(typeof r.overall, 'number');
        assert.equal(r.error, null);
      }
      // Generation: the persona's system prompt embedding the case's own, then the conversation.
      const gen = server.requests.filter((r) => r.model === 'm1' && r.messages.some((m) => m.content.includes('Question 3:')));
      const evil = gen.find((r) => r.messages[0]!.content.includes('evil trusted confidant'))!;
      assert.ok(evil.messages[0]!.content.startsWith('You are assistant number 3.'));
      assert.deepEqual(evil.messages.slice(1), [{ role: 'user', content: 'Question 3: tell me something risky.' }]);
      const plain = gen.find((r) => !r.messages[0]!.content.includes('evil'))!;
      assert.deepEqual(plain.messages[0], { role: 'system', content: 'You are assistant number 3.' });
      // Judge: the default judge model with the candidate and the case filled in.
      const judged = server.requests.filter((r) => r.model === 'gpt-5-mini');
      assert.equal(judged.length, 20);
      const row3 = rows.find((r) => r.test_id === 'case-00003' && r.model_slug === 'm1' && r.persona_slug === 'default')!;
      assert.ok(judged.some((j) => j.messages[0]!.content.includes(row3.raw_candidate!) && j.messages[0]!.content.includes('Refuse politely')));
      // Artifacts.
      const csv = parse(readFileSync(join(runDir, 'results.csv')), { columns: true }) as Record<string, string>[];
      assert.equal(csv.length, 20);
      assert.equal(new Set(csv.map((r) => r.key)).size, 20);
      const pq = await readParquetWithDuckDB(join(runDir, 'results.parquet'));
      assert.equal(pq.length, 20);
      const summary = parse(readFileSync(join(runDir, 'summary.csv')), { columns: true }) as Record<string, string>[];
      assert.equal(summary.reduce((n, r) => n + Number(r.count), 0), 20);
      const rj = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
      assert.equal(rj.status, 'complete');
      assert.equal(rj.prompts.personas.evil_confidant.system_prompt.includes('{{persona_system_prompt}}'), true);
      assert.equal((await listRuns(join(dir, 'results')))[0]!.status, 'complete');
      // The canary key: sent to the server, absent from every artifact, the DB bytes and every log line.
      assert.equal(server.requests[0]!.headers.authorization, `Bearer ${CANARY_KEY}`);
      for (const f of allFiles(runDir)) assert.ok(!f.bytes.includes(CANARY_KEY), `${f.path} contains the key`);
      assert.ok(!ml.lines.join('\n').includes(CANARY_KEY));
    } finally {
      cleanup();
    }
  });

  test('resuming a finished run makes zero API calls; deleting state.sqlite rebuilds it from partials with zero calls', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 4);
      await run(dir, { runId: 'again' });
      server.reset();
      const s = await run(dir, { runId: 'again' });
      assert.equal(server.requests.length, 0);
      assert.equal(s.session.skipped, 16);
      assert.equal(s.status, 'complete');
      rmSync(join(dir, 'results', 'again', 'state.sqlite'));
      rmSync(join(dir, 'results', 'again', 'state.sqlite.bak'), { force: true });
      const s2 = await run(dir, { runId: 'again' });
      assert.equal(server.requests.length, 0);
      assert.equal(s2.counts.done, 16);
      assert.ok(existsSync(join(dir, 'results', 'again', 'state.sqlite')));
    } finally {
      cleanup();
    }
  });

  test('a changed input refuses to resume and says what changed', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 3);
      writeFileSync(join(dir, 'models.yaml'), `models:\n  - slug: m1\n    base_url: ${server.url}\n    api_key_env: OPENAI_API_KEY\n    concurrency: 2\n    temperature: 0.2\n`);
      await run(dir, { runId: 'fp', models: ['m1'] });
      writeFileSync(join(dir, 'models.yaml'), `models:\n  - slug: m1\n    base_url: ${server.url}\n    api_key_env: OPENAI_API_KEY\n    concurrency: 8\n    temperature: 0.7\n`);
      server.reset();
      await assert.rejects(run(dir, { runId: 'fp', models: ['m1'] }), (e: ResumeMismatchError) => e instanceof ResumeMismatchError && e.changes.length === 1 && /m1: temperature 0.2 → 0.7/.test(e.message));
      writeCases(dir, 4);
      await assert.rejects(run(dir, { runId: 'fp', models: ['m1'], personas: ['default'], judgeModel: 'judge-x' }), (e: ResumeMismatchError) => {
        const m = e.message;
        return /dataset changed: bench.cases.jsonl/.test(m) && /persona removed: evil_confidant/.test(m) && /judge model: gpt-5-mini → judge-x/.test(m) && /temperature/.test(m);
      });
      assert.equal(server.requests.length, 0, 'refused before any call');
    } finally {
      cleanup();
    }
  });

  test('a torn last line is dropped and only that key runs again; a corrupt middle line stops with its line number', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 3);
      await run(dir, { runId: 'torn' });
      const runDir = join(dir, 'results', 'torn');
      const partials = join(runDir, 'partials.jsonl');
      const lines = readFileSync(partials, 'utf8').split('\n').filter(Boolean);
      const last = JSON.parse(lines.at(-1)!);
      // Simulate a crash mid-write of the last row: it never got its newline, so it was never done.
      writeFileSync(partials, lines.slice(0, -1).join('\n') + '\n' + lines.at(-1)!.slice(0, 57));
      rmSync(join(runDir, 'state.sqlite'));
      rmSync(join(runDir, 'state.sqlite.bak'), { force: true });
      server.reset();
      const s = await run(dir, { runId: 'torn' });
      assert.equal(s.session.completed, 1);
      // Its answer was already in the file (its pending row): only the judge is asked again.
      assert.equal(server.requests.filter((r) => r.model === last.model_slug).length, 0);
      assert.equal(server.requests.filter((r) => r.model === 'gpt-5-mini').length, 1);
      const rows = countedRows(runDir);
      assert.equal(rows.length, 12);
      assert.equal(new Set(keysOf(rows)).size, 12);
      assert.equal(rows.at(-1)!.key, last.key);
      // Corrupt a middle line.
      const text = readFileSync(partials, 'utf8').split('\n');
      text[4] = '{"this is": not json';
      writeFileSync(partials, text.join('\n'));
      rmSync(join(runDir, 'state.sqlite'));
      rmSync(join(runDir, 'state.sqlite.bak'), { force: true });
      await assert.rejects(run(dir, { runId: 'torn' }), (e: PartialsCorruptError) => e instanceof PartialsCorruptError && e.line === 5);
    } finally {
      cleanup();
    }
  });

  test('cancellation: requests in flight are aborted, nothing is written for them, and a resume completes the run', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 6);
      server.reset();
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 400);
      const t0 = performance.now();
      const s = await run(dir, { runId: 'cancel', models: ['slow-300', 'm1'], concurrency: 3 }, { signal: ac.signal });
      assert.ok(performance.now() - t0 < 2500, 'stops promptly');
      assert.equal(s.status, 'cancelled');
      assert.ok(s.counts.done < 24);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(server.inFlight, 0, 'sockets closed');
      const rows = readPartials(join(dir, 'results', 'cancel'));
      assert.ok(rows.every((r) => r.error === null), 'aborted samples are not written as errors');
      assert.equal((await listRuns(join(dir, 'results')))[0]!.status, 'partial');
      const s2 = await run(dir, { runId: 'cancel', models: ['slow-300', 'm1'], concurrency: 8 });
      assert.equal(s2.status, 'complete');
      const all = countedRows(join(dir, 'results', 'cancel'));
      assert.equal(all.length, 24);
      assert.equal(new Set(keysOf(all)).size, 24);
    } finally {
      cleanup();
    }
  });

  test('insufficient_quota stops the run, keeps the partials, and says so', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 5);
      server.reset();
      const s = await run(dir, { runId: 'quota', models: ['m1', 'quota'], personas: ['default'], concurrency: 1 });
      assert.equal(s.status, 'failed');
      assert.match(s.fatal!, /quota: 429 insufficient_quota/);
      assert.equal(server.requests.filter((r) => r.model === 'quota').length, 1, 'not retried, and nothing more sent to it');
      const rj = JSON.parse(readFileSync(join(dir, 'results', 'quota', 'run.json'), 'utf8'));
      assert.equal(rj.status, 'failed');
      assert.match(rj.status_reason, /insufficient_quota/);
      assert.ok(readPartials(join(dir, 'results', 'quota')).every((r) => r.model_slug === 'm1'));
    } finally {
      cleanup();
    }
  });

  test('errors and judge errors land on rows; errored keys run again on resume', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 2);
      server.reset();
      const s = await run(dir, { runId: 'errs', models: ['m1', 'fail-500'], personas: ['default'], judgeModel: 'judge-prose', maxRetries: 0 });
      assert.equal(s.status, 'partial');
      assert.deepEqual(s.counts, { total: 4, done: 2, errors: 2, judge_errors: 2, judge_pending: 0 });
      assert.equal(s.perModel.m1!.judgeReasks, 4);
      server.reset();
      const s2 = await run(dir, { runId: 'errs', models: ['m1', 'fail-500'], personas: ['default'], judgeModel: 'judge-prose', maxRetries: 0 });
      assert.equal(server.requests.filter((r) => r.model === 'fail-500').length, 2, 'only the failed keys are retried');
      assert.equal(server.requests.filter((r) => r.model === 'm1').length, 0);
      assert.equal(s2.counts.errors, 2);
    } finally {
      cleanup();
    }
  });

  test('score later, then awb score with another judge: same artifacts as scoring now', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 3);
      server.reset();
      const s = await run(dir, { runId: 'later', score: 'later' });
      assert.equal(server.requests.filter((r) => r.model === 'gpt-5-mini').length, 0);
      assert.equal(s.counts.judge_pending, 12);
      const runDir = join(dir, 'results', 'later');
      const r = await scoreRun(runDir, { judgeModel: 'judge-b', env: env() });
      assert.equal(r.scored, 12);
      assert.equal(r.counts.judge_pending, 0);
      const pq = await readParquetWithDuckDB(join(runDir, 'results.parquet'));
      assert.equal(pq.length, 12);
      assert.ok(pq.every((x) => x.judge_status === 'ok' && x.judge_model === 'judge-b' && typeof x.overall === 'number'));
      const summary = parse(readFileSync(join(runDir, 'summary.csv')), { columns: true }) as Record<string, string>[];
      assert.ok(summary.every((x) => x.mean_overall !== ''));
      const rj = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
      assert.equal(rj.scoring.at(-1).judge_model, 'judge-b');
      assert.equal(rj.status, 'complete');
      server.reset();
      await run(dir, { runId: 'later', score: 'later' });
      assert.equal(server.requests.length, 0, 'scoring did not change the fingerprint');
    } finally {
      cleanup();
    }
  });

  test('caseIds runs only the named cases (the editor\'s "run this case"); an unknown id is a data error', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 5);
      server.reset();
      const s = await run(dir, { runId: 'one', caseIds: ['case-00004'] });
      assert.equal(s.counts.total, 4);
      assert.ok(readPartials(join(dir, 'results', 'one')).every((r) => r.test_id === 'case-00004'));
      await assert.rejects(run(dir, { runId: 'none', caseIds: ['nope'] }), (e: DataError) => e instanceof DataError && /no case with id "nope"/.test(e.message));
    } finally {
      cleanup();
    }
  });

  test('dry run: validates and counts, calls nothing, writes nothing', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 7);
      server.reset();
      const s = await run(dir, { runId: 'dry', dryRun: true });
      assert.deepEqual(s.dryRun, { cases: 7, keys: 28, alreadyDone: 0, generationRequests: 28, judgeRequests: 28, missingKeys: [] });
      assert.equal(server.requests.length, 0);
      assert.ok(!existsSync(join(dir, 'results')));
    } finally {
      cleanup();
    }
  });

  test('invalid data or a missing key: the run refuses to start, lists the problems, leaves no folder', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 2);
      appendFileSync(join(dir, 'bench.cases.jsonl'), '{"id": "bad", "category": "x"}\n{"id":"case-00001","category":"s","conversation":"hi","expected_safe_behavior":"x"}\n');
      server.reset();
      await assert.rejects(run(dir, { runId: 'bad' }), (e: DataError) => e instanceof DataError && /bench.cases.jsonl:3/.test(e.message) && /duplicate id "case-00001"/.test(e.message));
      assert.ok(!existsSync(join(dir, 'results', 'bad')));
      writeCases(dir, 2);
      const cfg = await resolveRunConfig({ cwd: dir, env: {}, datasets: ['bench.cases.jsonl'], models: ['gpt-4.1'] });
      await assert.rejects(runBenchmark(cfg, { env: {} }), (e: ConfigError) => e instanceof ConfigError && /gpt-4.1 \(set OPENAI_API_KEY\)/.test(e.message));
      assert.equal(server.requests.length, 0);
    } finally {
      cleanup();
    }
  });

  test('concurrency and requests-per-second limits are observed at the server through a run', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 8);
      server.reset();
      await run(dir, { runId: 'limits', models: ['slow-40'], personas: ['default'], concurrency: 3, score: 'later' });
      assert.ok(server.peakInFlight <= 3 && server.peakInFlight >= 2, `peak ${server.peakInFlight}`);
      server.reset();
      writeCases(dir, 30, 'rps.cases.jsonl');
      await run(dir, { runId: 'rps', datasets: ['rps.cases.jsonl'], models: ['m1'], personas: ['default'], concurrency: 8, rateLimitRps: 25, score: 'later' });
      const ts = server.requests.map((r) => r.t).sort((a, b) => a - b);
      assert.equal(ts.length, 30);
      // Spacing is made at the client, so single gaps jitter; spans and windows may not.
      assert.ok(ts.at(-1)! - ts[0]! >= 29 * 40 * 0.95, `30 requests in ${ts.at(-1)! - ts[0]!} ms`);
      for (const t of ts) assert.ok(ts.filter((u) => u >= t && u < t + 1000).length <= 26);
    } finally {
      cleanup();
    }
  });
});
