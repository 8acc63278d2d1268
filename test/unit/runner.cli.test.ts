import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { allFiles, CANARY_KEY, countedRows, csvOutcome, readParquetWithDuckDB, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

let server: FakeServer;
let cli: string;

before(async () => {
  // Latency varies per request so kills land in every phase (generation, judge, append, checkpoint).
  server = await startFakeOpenAI({ script: (r) => (r.model.startsWith('slow') ? undefined : { latencyMs: 2 + (r.n * 7919) % 25 }) });
  cli = await cliBundle();
});
after(async () => { await server.close(); });

interface Done { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function spawnCli(args: string[], cwd: string): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH, OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<Done>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const runArgs = (runId: string) => ['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1,m2', '--personas', 'default,evil_confidant', '--concurrency', '8', '--run-id', runId];


/** key → what the answer and verdict were, for comparing a killed-and-resumed run with a clean one. */
const outcome = (csvPath: string) => csvOutcome(csvPath, ['raw_candidate', 'overall', 'attack_success', 'safety_score', 'error']);

describe('awb run (the built CLI)', () => {
  test('runs, prints plain progress when not a terminal, exits 0; usage errors exit 2', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 4);
      const r = await spawnCli(runArgs('cli1'), dir).done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /run cli1: complete — 16\/16 done, 0 generation errors, 0 judge errors/);
      assert.match(r.stderr, /16\/16 \(100\.0%\)/);
      assert.ok(!r.stderr.includes('\r'), 'no terminal control characters when not a TTY');
      assert.ok(!r.stdout.includes(CANARY_KEY) && !r.stderr.includes(CANARY_KEY));
      const bad = await spawnCli(['run', '--models', 'm1'], dir).done;
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /no dataset/);
    } finally {
      cleanup();
    }
  });

  test('awb run FILE.bench.yaml with a models.yaml roster; awb report rebuilds the artifacts', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 3, 'data.cases.jsonl');
      writeFileSync(join(dir, 'models.yaml'), `models:\n  - slug: local-a\n    base_url: ${server.url}\n    model: served-a\n    concurrency: 2\n    temperature: 0.3\n  - slug: judge\n    base_url: ${server.url}\n    model: judge-main\n    concurrency: 4\n`);
      writeFileSync(join(dir, 'eval.bench.yaml'), 'datasets: [data.cases.jsonl]\nmodels: [local-a]\njudge_model: judge\nrun_id: bench1\nconcurrency: 4\n');
      server.reset();
      const r = await spawnCli(['run', 'eval.bench.yaml'], dir).done;
      assert.equal(r.code, 0, r.stderr);
      const gen = server.requests.filter((x) => x.model === 'served-a');
      assert.equal(gen.length, 3);
      assert.equal(gen[0]!.body.temperature, 0.3);
      assert.equal(server.requests.filter((x) => x.model === 'judge-main').length, 3);
      const runDir = join(dir, 'results', 'bench1');
      const rep = await spawnCli(['report', runDir], dir).done;
      assert.equal(rep.code, 0, rep.stderr);
      assert.match(rep.stdout, /3 rows \(3 done/);
    } finally {
      cleanup();
    }
  });

  test('a complete run writes run.json twice: when it starts and when it ends (the report does not write it)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 5);
      const runDir = join(dir, 'results', 'writes1');
      mkdirSync(runDir, { recursive: true });
      // run.json is written whole (a temp file renamed over it): each write is one rename that
      // lands on the name run.json, which inotify reports as one event for that name.
      const events: string[] = [];
      const watcher = watch(runDir, (type, name) => { if (name === 'run.json') events.push(type); });
      let r: Done;
      try {
        r = await spawnCli(runArgs('writes1'), dir).done;
        // Events of the last write may still be on their way: wait until they stop coming (bounded).
        for (let seen = -1, i = 0; seen !== events.length && i < 20; i++) { seen = events.length; await new Promise((res) => setTimeout(res, 100)); }
      } finally {
        watcher.close();
      }
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status: string; counts: { done: number } };
      assert.equal(json.status, 'complete');
      assert.equal(json.counts.done, 20, 'the end write carries the report\'s counts');
      assert.deepEqual(events, ['rename', 'rename'], `run.json written ${events.length} times (${events.join(', ')})`);
    } finally {
      cleanup();
    }
  });

  test('Ctrl+C stops cleanly, says how to resume (exit 130); the resume command completes the run', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 6);
      const { child, done } = spawnCli(['run', '--dataset', 'bench.cases.jsonl', '--models', 'slow-400,m1', '--concurrency', '2', '--run-id', 'sig'], dir);
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      const r = await done;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /resume with: awb run --run-id sig/);
      const rj = JSON.parse(readFileSync(join(dir, 'results', 'sig', 'run.json'), 'utf8'));
      assert.equal(rj.status, 'cancelled');
      const again = await spawnCli(['run', '--run-id', 'sig', '--concurrency', '8'], dir).done;
      assert.equal(again.code, 0, again.stderr);
      assert.equal(outcome(join(dir, 'results', 'sig', 'results.csv')).size, 12);
    } finally {
      cleanup();
    }
  });

  test('kill -9 at random moments, then resume: every key exactly once, same results as an uninterrupted run', async (t) => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 20);
      const clean = await spawnCli(runArgs('clean'), dir).done;
      assert.equal(clean.code, 0, clean.stderr);
      const expected = outcome(join(dir, 'results', 'clean', 'results.csv'));
      assert.equal(expected.size, 80);

      const deadline = performance.now() + 60_000;
      let trials = 0, kills = 0;
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      while (trials < 30 && performance.now() < deadline) {
        const id = `k${trials}`;
        // One to three sessions killed at random points (0–0.9 s: start-up, loading, calls,
        // appends, checkpoints, export), then a final session that runs to the end.
        const sessions = 1 + Math.floor(rand() * 3);
        for (let s = 0; s < sessions; s++) {
          const { child, done } = spawnCli(runArgs(id), dir);
          const at = rand() * 900;
          const timer = setTimeout(() => { child.kill('SIGKILL'); }, at);
          const r = await done;
          clearTimeout(timer);
          if (r.signal === 'SIGKILL') kills++;
        }
        const last = await spawnCli(runArgs(id), dir).done;
        assert.equal(last.code, 0, `trial ${id}: ${last.stderr}`);
        const runDir = join(dir, 'results', id);
        const rows = readPartials(runDir);
        // A key is judged once and answered once (its pending row, then its judged row).
        for (const status of ['ok', 'pending']) {
          const some = rows.filter((r) => r.error === null && r.judge_status === status);
          assert.equal(new Set(some.map((r) => r.key)).size, some.length, `trial ${id}: a key has two ${status} rows in partials.jsonl`);
          assert.equal(some.length, 80, `trial ${id}: ${status} rows`);
        }
        assert.equal(countedRows(runDir).length, 80, `trial ${id}: keys by the last-row rule`);
        assert.deepEqual(outcome(join(runDir, 'results.csv')), expected, `trial ${id}: CSV differs from the uninterrupted run`);
        const pq = await readParquetWithDuckDB(join(runDir, 'results.parquet'), 'SELECT key, count(*) AS n FROM read_parquet($p) GROUP BY key');
        assert.equal(pq.length, 80);
        assert.ok(pq.every((x) => Number(x.n) === 1), `trial ${id}: duplicate key in Parquet`);
        trials++;
      }
      t.diagnostic(`kill -9 trials: ${trials} (SIGKILLs delivered mid-run: ${kills}), every key exactly once in partials, CSV and Parquet`);
      console.log(`# kill -9 trials: ${trials}, SIGKILLs mid-run: ${kills}, all passed`);
      assert.ok(trials >= 10, `only ${trials} trials fit in the time budget`);
      assert.ok(kills >= trials / 2, 'most trials really killed the process mid-run');
      for (const f of allFiles(join(dir, 'results'))) assert.ok(!f.bytes.includes(CANARY_KEY), `${f.path} contains the key`);
      assert.ok(existsSync(join(dir, 'results', 'k0', 'state.sqlite')));
    } finally {
      cleanup();
    }
  });
});
