// A resume never pays twice for an answer it already received: kill -9 the built CLI in the middle
// of a run whose judge keeps getting 429 Retry-After, resume it, and count the generation requests
// the server saw again. Only what was in flight at the kill (at most --concurrency) may be re-asked.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { chooseRows, chosenRows } from '../../src/core/export/report';
import { startFakeOpenAI, type FakeRequest, type FakeServer } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { CANARY_KEY, countedRows, readParquetWithDuckDB, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

const RENT = join(__dirname, '..', '..', 'examples', 'rent.grid.yaml');
const CONCURRENCY = 4;
const KILL_AFTER = 90;
/** 30 cases (or grid cases) × 2 personas × 2 models. */
const KEYS = 120;

let server: FakeServer;
let cli: string;
/** Called on every request the server receives (the test kills the CLI from here). */
let onRequest: ((n: number) => void) | undefined;
let received = 0;
/** Request bodies already answered 429 once: a retry of the same request is answered. */
const limited = new Set<string>();

before(async () => {
  server = await startFakeOpenAI({
    script: (r) => {
      received++;
      onRequest?.(received);
      const body = JSON.stringify(r.body);
      // One request in seven: 429 with Retry-After: 1 (the retry of that same request goes through).
      if (received % 7 === 0 && !limited.has(body)) {
        limited.add(body);
        return { status: 429, headers: { 'retry-after': '1' }, error: { message: 'rate limited', type: 'rate_limit' } };
      }
      // The grid's master scorer answers on its -1..+1 axis.
      if (r.model === 'grid-scorer') return { latencyMs: 10, reply: JSON.stringify({ score: (r.n % 9) / 10 - 0.4, rationale: 'scripted' }) };
      return { latencyMs: 10 + (r.n * 7919) % 15 };
    },
  });
  cli = await cliBundle();
});
after(async () => { await server.close(); });

const GENERATION = new Set(['m1', 'm2']);
/** What a generation request asks for: the model and its messages (one key of the run). */
const asked = (r: FakeRequest) => `${r.model}\u0000${JSON.stringify(r.messages)}`;

interface Done { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function spawnCli(args: string[], cwd: string, killAt?: number, keepCount = false): Promise<Done> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH, OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url, AWB_REGISTRY: join(cwd, 'none.sqlite') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  if (!keepCount) received = 0;
  onRequest = killAt === undefined ? undefined : (n) => { if (n === killAt) child.kill('SIGKILL'); };
  return new Promise<Done>((resolve) => child.on('close', (code, signal) => { onRequest = undefined; resolve({ code, signal, stdout, stderr }); }));
}

/**
 * Runs `args`, kill -9 after KILL_AFTER requests, resumes with the same run id; returns how many
 * distinct generation requests of the first session the resume sent again, and the run folder.
 */
async function killAndResume(dir: string, args: string[], runId: string): Promise<{ again: number; firstGen: number; answeredFirst: number; runDir: string }> {
  limited.clear();
  server.reset();
  const first = await spawnCli([...args, '--run-id', runId], dir, KILL_AFTER);
  assert.equal(first.signal, 'SIGKILL', `the first session was killed mid-run: ${first.stderr}`);
  const firstAsked = new Set(server.requests.filter((r) => GENERATION.has(r.model)).map(asked));
  const runDir = join(dir, 'results', runId);
  const answeredFirst = readPartials(runDir).filter((r) => r.raw_candidate !== null).length;

  // A dry run of the resume counts the waiting answers as judge requests, not generation requests.
  const counted = countedRows(runDir);
  const judged = counted.filter((r) => r.error === null && r.judge_status !== 'pending').length;
  const waiting = counted.filter((r) => r.error === null && r.judge_status === 'pending').length;
  const dry = await spawnCli([...args, '--run-id', runId, '--dry-run'], dir, undefined, true);
  assert.equal(dry.code, 0, dry.stderr);
  const m = /would send (\d+) generation requests and (\d+) judge requests/.exec(dry.stdout);
  assert.ok(m, dry.stdout);
  assert.deepEqual([Number(m[1]), Number(m[2])], [KEYS - judged - waiting, KEYS - judged], `${waiting} answers waiting for the judge`);

  server.reset();
  const second = await spawnCli([...args, '--run-id', runId], dir);
  assert.equal(second.code, 0, second.stderr);
  const againKeys = new Set(server.requests.filter((r) => GENERATION.has(r.model)).map(asked).filter((k) => firstAsked.has(k)));
  return { again: againKeys.size, firstGen: firstAsked.size, answeredFirst, runDir };
}

/** Every key exactly once in the artifacts, and the row that counts in partials.jsonl is judged. */
async function assertExact(runDir: string, keys: number): Promise<void> {
  const partials = join(runDir, 'partials.jsonl');
  const counted = [...chosenRows(partials, chooseRows(partials).chosen)];
  assert.equal(counted.length, keys);
  assert.equal(new Set(counted.map((r) => r.key)).size, keys);
  assert.ok(counted.every((r) => r.error === null && r.judge_status === 'ok'), 'every counted row is judged');
  // An answer is never received twice for a key: at most one row with an answer per key and judge state.
  const answers = readPartials(runDir).filter((r) => r.judge_status === 'pending');
  assert.equal(new Set(answers.map((r) => r.key)).size, answers.length, 'no key was answered twice');
  const csv = parse(readFileSync(join(runDir, 'results.csv')), { columns: true }) as Record<string, string>[];
  assert.equal(csv.length, keys);
  assert.equal(new Set(csv.map((r) => r.key)).size, keys);
  assert.ok(csv.every((r) => r.judge_status === 'ok'));
  const pq = await readParquetWithDuckDB(join(runDir, 'results.parquet'), 'SELECT key, count(*) AS n FROM read_parquet($p) GROUP BY key');
  assert.equal(pq.length, keys);
  assert.ok(pq.every((x) => Number(x.n) === 1));
  const rj = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status: string; counts: Record<string, number> };
  assert.equal(rj.status, 'complete');
  assert.deepEqual(rj.counts, { total: keys, done: keys, errors: 0, judge_errors: 0, judge_pending: 0 });
}

describe('kill -9 while the judge is held back by 429 Retry-After, then resume', () => {
  test('score now: the resume re-asks the models at most --concurrency times; every key once', async (t) => {
    const { dir, cleanup } = tempDir('awb-paid-once-');
    try {
      writeCases(dir, 30);
      const args = ['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1,m2', '--personas', 'default,evil_confidant', '--judge-model', 'gpt-5-mini', '--concurrency', String(CONCURRENCY)];
      const r = await killAndResume(dir, args, 'now1');
      t.diagnostic(`first session: ${r.firstGen} generation requests, ${r.answeredFirst} answers written; the resume asked ${r.again} of them again`);
      assert.ok(r.answeredFirst > CONCURRENCY, 'the kill came after answers had arrived');
      assert.ok(r.again <= CONCURRENCY, `the resume re-asked ${r.again} generations already asked (at most ${CONCURRENCY} were in flight)`);
      await assertExact(r.runDir, KEYS);
    } finally {
      cleanup();
    }
  });

  test('a grid run: the same, scored by the master scorer', async (t) => {
    const { dir, cleanup } = tempDir('awb-paid-once-');
    try {
      const args = ['run', '--grid', RENT, '--include-neutral', '--limit', '10', '--models', 'm1,m2', '--personas', 'default,evil_confidant', '--judge-model', 'grid-scorer', '--concurrency', String(CONCURRENCY)];
      const r = await killAndResume(dir, args, 'grid1');
      t.diagnostic(`first session: ${r.firstGen} generation requests, ${r.answeredFirst} answers written; the resume asked ${r.again} of them again`);
      assert.ok(r.answeredFirst > CONCURRENCY, 'the kill came after answers had arrived');
      assert.ok(r.again <= CONCURRENCY, `the resume re-asked ${r.again} generations already asked (at most ${CONCURRENCY} were in flight)`);
      await assertExact(r.runDir, KEYS);
      const rows = readPartials(r.runDir).filter((x) => x.judge_status === 'ok');
      assert.ok(rows.every((x) => typeof x.score === 'number' && typeof x.stance === 'string'));
    } finally {
      cleanup();
    }
  });
});
