// The Runs view and the run pickers name a run by what it ran (its bench file, else its grid or
// datasets) as well as its id; the dry-run confirmation names the endpoints a run will call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeEndpoints } from '../../src/core';
import { resolveRunConfig } from '../../src/core/run/config';
import { runBenchmark } from '../../src/core/run/runner';
import { listRuns } from '../../src/core/results/runs';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { CANARY_KEY, tempDir, writeCases } from '../support/runnerFixtures';

let server: FakeServer;
before(async () => { server = await startFakeOpenAI({ latencyMs: 1 }); });
after(async () => { await server.close(); });

test('runs are named by their bench file, else their datasets', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const env = { OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url };
    writeCases(dir, 1, 'a.cases.jsonl');
    writeCases(dir, 1, 'b.cases.jsonl', () => ({ id: 'b-1' }));
    writeCases(dir, 1, 'c.cases.jsonl', () => ({ id: 'c-1' }));
    writeFileSync(join(dir, 'eval.bench.yaml'), 'datasets: [a.cases.jsonl]\nmodels: [m1]\nrun_id: from-bench\n');
    const go = async (input: Parameters<typeof resolveRunConfig>[0]) => runBenchmark(await resolveRunConfig(input), { env, registry: false });
    await go({ cwd: dir, env, bench: 'eval.bench.yaml' });
    await go({ cwd: dir, env, datasets: ['a.cases.jsonl', 'b.cases.jsonl'], models: ['m1'], runId: 'two' });
    await go({ cwd: dir, env, datasets: ['a.cases.jsonl', 'b.cases.jsonl', 'c.cases.jsonl'], models: ['m1'], runId: 'three' });
    const names = Object.fromEntries((await listRuns(join(dir, 'results'))).map((r) => [r.runId, r.name]));
    assert.deepEqual(names, { 'from-bench': 'eval.bench.yaml', two: 'a.cases.jsonl, b.cases.jsonl', three: 'a.cases.jsonl, b.cases.jsonl +1 more' });
  } finally {
    cleanup();
  }
});

test('the endpoints of a run: each URL with the models sent there, the judge marked, credentials redacted', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCases(dir, 1);
    writeFileSync(join(dir, 'models.yaml'), 'models:\n  - slug: local\n    base_url: http://127.0.0.1:8000/v1?api_key=hunter2\n    concurrency: 1\n  - slug: big\n    provider: openai\n    concurrency: 1\n  - slug: small\n    provider: openai\n    concurrency: 1\n');
    const cfg = await resolveRunConfig({ cwd: dir, env: {}, datasets: ['bench.cases.jsonl'], models: ['local', 'big', 'small'], judgeModel: 'big' });
    const lines = describeEndpoints(cfg);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^http:\/\/127\.0\.0\.1:8000\/v1\S* \(local\)$/);
    assert.ok(!lines[0]!.includes('hunter2'), lines[0]);
    assert.equal(lines[1], 'https://api.openai.com/v1 (big, small; judge big)');
    assert.deepEqual(describeEndpoints({ ...cfg, score: 'later' }).at(-1), 'https://api.openai.com/v1 (big, small)');
  } finally {
    cleanup();
  }
});
