// The extension runs benchmarks and scoring passes in a worker thread (src/extension/run/workerJob.ts
// + the bundled runWorker). These run the real bundle against a real OpenAI-protocol server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveRunConfig, type RunInput } from '../../src/core/run/config';
import { DataError } from '../../src/core/data/load';
import type { ResolvedModel } from '../../src/core';
import type { RunProgress, RunSummary } from '../../src/core/run/progress';
import type { ScoreSummary } from '../../src/core/run/score';
import { runInWorker, WorkerJobError } from '../../src/extension/run/workerJob';
import { startFakeOpenAI, type FakeRequest, type FakeServer } from '../support/fakeOpenAI';
import { runWorkerBundle } from '../support/buildCli';
import { countedRows, memoryLogger, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

const HOOK_KEY = 'sk-from-secret-storage-4821';
let server: FakeServer;
let workerFile: string;
let onRequest: ((r: FakeRequest) => void) | undefined;
before(async () => {
  server = await startFakeOpenAI({ latencyMs: 2, models: { slow: { latencyMs: 250 }, 'judge-slow': { latencyMs: 120 } }, script: (r) => { onRequest?.(r); return undefined; } });
  workerFile = await runWorkerBundle();
});
after(async () => { await server.close(); });

// No OPENAI_API_KEY: the only key is the one the host hands over when the worker asks.
const env = () => ({ OPENAI_BASE_URL: server.url });

async function config(dir: string, input: Partial<RunInput>) {
  return resolveRunConfig({ cwd: dir, env: env(), datasets: ['bench.cases.jsonl'], models: ['m1'], personas: ['default'], ...input });
}

function hooks(extra: { signal?: AbortSignal; onProgress?: (p: RunProgress) => void } = {}) {
  const asked: string[] = [];
  const ml = memoryLogger();
  return { asked, lines: ml.lines, hooks: { log: ml.log, keyResolver: async (m: ResolvedModel) => { asked.push(m.slug); return HOOK_KEY; }, ...extra } };
}

test('a run in the worker: keys come from the host, progress and log lines reach it, every key done once', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCases(dir, 6);
    server.reset();
    const cfg = await config(dir, { runId: 'w1', models: ['m1', 'm2'] });
    const progress: RunProgress[] = [];
    const h = hooks({ onProgress: (p) => progress.push(p) });
    const s = await runInWorker<RunSummary>({ kind: 'run', cfg, env: env(), registry: join(dir, 'registry.sqlite') }, h.hooks, workerFile);
    assert.equal(s.status, 'complete');
    assert.deepEqual(s.counts, { total: 12, done: 12, errors: 0, judge_errors: 0, judge_pending: 0 });
    assert.deepEqual(new Set(h.asked), new Set(['m1', 'm2', 'gpt-5-mini']));
    assert.ok(server.requests.length >= 24);
    assert.ok(server.requests.every((r) => r.headers.authorization === `Bearer ${HOOK_KEY}`), 'every request carries the key the host gave');
    assert.equal(progress.at(-1)?.done, 12);
    assert.ok(h.lines.some((l) => /complete|done/i.test(l)), h.lines.join('\n'));
    const rows = countedRows(join(dir, 'results', 'w1'));
    assert.equal(rows.length, 12);
    assert.equal(new Set(rows.map((r) => r.key)).size, 12);
  } finally {
    cleanup();
  }
});

test('cancel reaches the worker: the run stops as cancelled keeping what was done, and a resume completes it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCases(dir, 12);
    const cfg = await config(dir, { runId: 'w2', models: ['slow'], concurrency: 2 });
    const controller = new AbortController();
    const h = hooks({ signal: controller.signal, onProgress: (p) => { if (p.done >= 2) controller.abort(); } });
    const s = await runInWorker<RunSummary>({ kind: 'run', cfg, env: env(), registry: join(dir, 'registry.sqlite') }, h.hooks, workerFile);
    assert.equal(s.status, 'cancelled');
    assert.ok(s.counts.done >= 2 && s.counts.done < 12, `done ${s.counts.done}`);
    const again = await runInWorker<RunSummary>({ kind: 'run', cfg: await config(dir, { runId: 'w2', models: ['slow'], concurrency: 4 }), env: env(), registry: join(dir, 'registry.sqlite') }, hooks().hooks, workerFile);
    assert.equal(again.status, 'complete');
    const done = countedRows(join(dir, 'results', 'w2')).filter((r) => r.error === null);
    assert.equal(done.length, 12);
    assert.equal(new Set(done.map((r) => r.key)).size, 12, 'no key done twice');
  } finally {
    cleanup();
  }
});

test('Cancel while answers wait for a slow judge: they are kept, and the resume judges them without asking the model again', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCases(dir, 12);
    const input = { runId: 'w4', models: ['m1', 'm2'], personas: ['default', 'evil_confidant'], judgeModel: 'judge-slow', concurrency: 2 };
    const controller = new AbortController();
    let judged = 0;
    // Cancel when the judge has been asked a few times: by then answers are queued behind it.
    onRequest = (r) => { if (r.model === 'judge-slow' && ++judged === 6) controller.abort(); };
    server.reset();
    const s = await runInWorker<RunSummary>({ kind: 'run', cfg: await config(dir, input), env: env(), registry: join(dir, 'registry.sqlite') }, hooks({ signal: controller.signal }).hooks, workerFile);
    onRequest = undefined;
    assert.equal(s.status, 'cancelled');
    assert.equal(s.counts.judge_errors, 0, 'a judge call cancelled while it waited for its turn is not a failed verdict');
    const key = (r: FakeRequest) => `${r.model}\u0000${JSON.stringify(r.messages)}`;
    const askedBefore = new Set(server.requests.filter((r) => r.model === 'm1' || r.model === 'm2').map(key));
    const counted = countedRows(join(dir, 'results', 'w4'));
    const waiting = counted.filter((r) => r.judge_status === 'pending').length;
    assert.ok(waiting > 2, `answers were waiting for the judge at Cancel (${waiting})`);
    assert.equal(s.counts.judge_pending, waiting, 'answers waiting for the judge are counted as not scored');
    assert.equal(s.counts.done, counted.filter((r) => r.judge_status === 'ok').length, 'only judged keys are done');

    server.reset();
    const again = await runInWorker<RunSummary>({ kind: 'run', cfg: await config(dir, input), env: env(), registry: join(dir, 'registry.sqlite') }, hooks().hooks, workerFile);
    assert.equal(again.status, 'complete');
    const reasked = server.requests.filter((r) => (r.model === 'm1' || r.model === 'm2') && askedBefore.has(key(r))).length;
    assert.ok(reasked <= 2, `the resume asked the models ${reasked} times for answers asked before Cancel (2 at most were in flight)`);
    const rows = countedRows(join(dir, 'results', 'w4'));
    assert.equal(rows.length, 48);
    assert.ok(rows.every((r) => r.judge_status === 'ok'));
  } finally {
    onRequest = undefined;
    cleanup();
  }
});

test('scoring later in the worker scores every row with the chosen judge', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCases(dir, 4);
    const cfg = await config(dir, { runId: 'w3', score: 'later' });
    const gen = await runInWorker<RunSummary>({ kind: 'run', cfg, env: env(), registry: join(dir, 'registry.sqlite') }, hooks().hooks, workerFile);
    assert.equal(gen.counts.judge_pending, 4);
    const h = hooks();
    const s = await runInWorker<ScoreSummary>({ kind: 'score', runDir: join(dir, 'results', 'w3'), options: { judgeModel: 'judge-main' }, env: env(), registry: join(dir, 'registry.sqlite') }, h.hooks, workerFile);
    assert.equal(s.scored, 4);
    assert.equal(s.judgeModel, 'judge-main');
    assert.deepEqual(h.asked, ['judge-main']);
  } finally {
    cleanup();
  }
});

test('errors cross the thread intact: a broken data line is a DataError naming the line; a missing run folder is named', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeCases(dir, 3);
    appendFileSync(file, '{"id": "broken",\n');
    const cfg = await config(dir, { runId: 'w4', dryRun: true });
    await assert.rejects(runInWorker({ kind: 'run', cfg, env: env(), registry: join(dir, 'registry.sqlite') }, hooks().hooks, workerFile), (err: unknown) => {
      assert.ok(err instanceof DataError, String(err));
      assert.ok(err.diagnostics.some((d) => d.line === 4 && d.severity === 'error'), JSON.stringify(err.diagnostics));
      return true;
    });
    await assert.rejects(runInWorker({ kind: 'score', runDir: join(dir, 'results', 'nothing-here'), options: {}, env: env(), registry: join(dir, 'registry.sqlite') }, hooks().hooks, workerFile), (err: unknown) => {
      assert.ok(err instanceof WorkerJobError, String(err));
      assert.match(err.message, /nothing-here/);
      return true;
    });
  } finally {
    cleanup();
  }
});

test('the worker applies the key gate itself: an environment key for an endpoint a file named goes there only with the editor\'s approval', async () => {
  const other = await startFakeOpenAI({ latencyMs: 1 });
  const { dir, cleanup } = tempDir();
  try {
    writeCases(dir, 2);
    writeFileSync(join(dir, 'models.yaml'), `models:\n  - slug: m1\n    provider: openai\n    base_url: ${other.url}\n    concurrency: 1\n`);
    const keyEnv = { ...env(), OPENAI_API_KEY: 'sk-ENV-KEY-0192837465', AWB_ENDPOINTS_FILE: join(dir, 'endpoints.json') };
    const cfg = await resolveRunConfig({ cwd: dir, env: keyEnv, datasets: ['bench.cases.jsonl'], models: ['m1'], personas: ['default'], score: 'later', runId: 'gate' });
    // A host with no stored key: the key would come from the environment.
    const noStored = { log: memoryLogger().log, keyResolver: async () => undefined };
    await assert.rejects(
      runInWorker<RunSummary>({ kind: 'run', cfg, env: keyEnv, registry: join(dir, 'registry.sqlite') }, noStored, workerFile),
      (e: WorkerJobError) => e.name === 'EndpointPolicyError' && e.known && /models\.yaml:4: .*OPENAI_API_KEY/.test(e.message),
    );
    assert.equal(other.requests.length, 0, 'nothing reached the endpoint the file named');
    const s = await runInWorker<RunSummary>({ kind: 'run', cfg, env: keyEnv, registry: join(dir, 'registry.sqlite'), allowEndpoints: [other.url] }, noStored, workerFile);
    assert.equal(s.status, 'complete');
    assert.equal(other.requests.length, 2);
    assert.ok(other.requests.every((r) => r.headers.authorization === 'Bearer sk-ENV-KEY-0192837465'));
  } finally {
    cleanup();
    await other.close();
  }
});

test('Compare Runs computes in the worker: the same comparison as in-process, and a bad folder is a known error', async () => {
  const { compareSides, headline, loadRunSide } = await import('../../src/core/compare');
  const { compareData } = await import('../../src/extension/compare/compareData');
  const { dir, cleanup } = tempDir();
  try {
    writeCases(dir, 5);
    server.reset();
    for (const runId of ['cb', 'cn']) {
      const cfg = await config(dir, { runId, models: ['m1', 'm2'] });
      await runInWorker<RunSummary>({ kind: 'run', cfg, env: env(), registry: join(dir, 'registry.sqlite') }, hooks().hooks, workerFile);
    }
    const [baseDir, newDir] = [join(dir, 'results', 'cb'), join(dir, 'results', 'cn')];
    const viaWorker = await runInWorker<unknown>({ kind: 'compare', baseDir, newDir, labels: ['base', 'new'] }, hooks().hooks, workerFile);
    const c = compareSides(loadRunSide(baseDir, 'base'), loadRunSide(newDir, 'new'));
    assert.deepEqual(viaWorker, { ...compareData(c), headline: headline(c) });
    assert.equal((viaWorker as { groups: unknown[] }).groups.length, 3, 'two model × persona groups and the total');
    await assert.rejects(
      runInWorker({ kind: 'compare', baseDir, newDir: join(dir, 'results', 'missing'), labels: ['base', 'new'] }, hooks().hooks, workerFile),
      (err: unknown) => err instanceof WorkerJobError && err.known,
    );
  } finally {
    cleanup();
  }
});
