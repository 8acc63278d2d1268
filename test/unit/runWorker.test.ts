// The extension runs benchmarks and scoring passes in a worker thread (src/extension/run/workerJob.ts
// + the bundled runWorker). These run the real bundle against a real OpenAI-protocol server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveRunConfig, type RunInput } from '../../src/core/run/config';
import { DataError } from '../../src/core/data/load';
import type { ResolvedModel } from '../../src/core';
import type { RunProgress, RunSummary } from '../../src/core/run/progress';
import type { ScoreSummary } from '../../src/core/run/score';
import { runInWorker, WorkerJobError } from '../../src/extension/run/workerJob';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { runWorkerBundle } from '../support/buildCli';
import { memoryLogger, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

const HOOK_KEY = 'sk-from-secret-storage-4821';
let server: FakeServer;
let workerFile: string;
before(async () => {
  server = await startFakeOpenAI({ latencyMs: 2, models: { slow: { latencyMs: 250 } } });
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
    const rows = readPartials(join(dir, 'results', 'w1'));
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
    const done = readPartials(join(dir, 'results', 'w2')).filter((r) => r.error === null);
    assert.equal(done.length, 12);
    assert.equal(new Set(done.map((r) => r.key)).size, 12, 'no key done twice');
  } finally {
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
