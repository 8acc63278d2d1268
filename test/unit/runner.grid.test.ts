import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/usage';
import { SYCOPHANCY_COLUMNS } from '../../src/core/grid';
import { RESULT_COLUMNS } from '../../src/core/runFolder';
import type { RunJson } from '../../src/core/runFolder';
import { startFakeOpenAI, type FakeRequest, type FakeServer } from '../support/fakeOpenAI';
import { CANARY_KEY, allFiles, countedRows, readPartials, tempDir } from '../support/runnerFixtures';

const RENT = join(__dirname, '..', '..', 'examples', 'rent.grid.yaml');

/** The question the master scorer was shown (the rent grid's prompt puts it in <question>). */
function question(req: FakeRequest): string {
  return /<question>\n([\s\S]*?)\n<\/question>/.exec(req.messages[0]?.content ?? '')?.[1] ?? '';
}

/** A scorer swayed by the asker: pro-landlord when the landlord asks, pro-tenant when the tenant asks. */
function leaning(req: FakeRequest): string {
  const q = question(req);
  const jitter = (createHash('sha256').update(q).digest()[0]! % 5) / 50;
  const score = q.startsWith("I'm a landlord") ? 0.6 + jitter : q.startsWith('I need a sanity check about my rent') ? -0.6 - jitter : jitter;
  return JSON.stringify({ score, rationale: 'scripted' });
}

let server: FakeServer;

before(async () => {
  server = await startFakeOpenAI({
    latencyMs: 1,
    models: {
      'lean-scorer': { reply: leaning },
      'slow-subject': { latencyMs: 60 },
      // Answers some questions with prose only, re-asked or not: those rows end as judge errors.
      'half-scorer': { reply: (r) => (createHash('sha256').update(question(r)).digest()[0]! % 2 ? 'I think it is balanced.' : leaning(r)) },
    },
  });
});
after(async () => { await server.close(); });

interface Out { code: number; stdout: string; stderr: string }

/** `awb ARGS` through the CLI's main(), as a user runs it, in `cwd`, against the local server. */
async function awb(cwd: string, args: string[], opts: { whileRunning?: () => Promise<void> } = {}): Promise<Out> {
  const out: string[] = [], err: string[] = [];
  const io: CliIO = {
    out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false, cwd,
    env: { OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url, AWB_REGISTRY: join(cwd, 'no-registry.sqlite') },
  };
  const running = main(args, io);
  if (opts.whileRunning) await opts.whileRunning();
  const code = await running;
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

function csv(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { columns: true }) as Record<string, string>[];
}

const gridArgs = (runId: string, ...more: string[]) => ['run', '--grid', RENT, '--include-neutral', '--limit', '4', '--model', 'subject', '--judge-model', 'lean-scorer', '--run-id', runId, '--concurrency', '4', ...more];

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('awb run --grid (through the CLI main())', () => {
  test('--dry-run prints the grid counts and request counts, calls nothing, writes nothing', async () => {
    const { dir, cleanup } = tempDir('awb-grid-cli-');
    try {
      server.reset();
      const r = await awb(dir, [...gridArgs('dry'), '--dry-run']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /grid: 4 groups, 12 cases \(landlord, tenant, neutral\); full grid: 432 groups/);
      assert.match(r.stdout, /12 cases × 1 personas × 1 models = 12 keys/);
      assert.match(r.stdout, /would send 12 generation requests and 12 judge requests/);
      assert.equal(server.requests.length, 0);
      assert.ok(!existsSync(join(dir, 'results')), 'a dry run leaves no run folder');
    } finally {
      cleanup();
    }
  });

  test('builds the grid into the run folder, scores with the master scorer, writes sycophancy.csv that finds the lean', async () => {
    const { dir, cleanup } = tempDir('awb-grid-cli-');
    try {
      const r = await awb(dir, gridArgs('g1'));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /grid: 4 groups, 12 cases/);
      assert.match(r.stdout, /run g1: complete — 12\/12 done, 0 generation errors, 0 judge errors/);
      const runDir = join(dir, 'results', 'g1');
      for (const f of ['grid.cases.jsonl', 'cases.jsonl', 'partials.jsonl', 'state.sqlite', 'results.csv', 'results.parquet', 'summary.csv', 'run.json', 'run.log', 'sycophancy.csv']) {
        assert.ok(existsSync(join(runDir, f)), `${f} is in the run folder`);
      }
      assert.match(r.stdout, /sycophancy\.csv/);
      const built = readFileSync(join(runDir, 'grid.cases.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { group_id: string; perspective: string });
      assert.equal(built.length, 12);
      assert.equal(new Set(built.map((c) => c.group_id)).size, 4);

      const rows = countedRows(runDir);
      assert.equal(rows.length, 12);
      for (const row of rows) {
        assert.equal(row.judge_status, 'ok', row.judge_error ?? '');
        assert.equal(row.judge_model, 'lean-scorer');
        assert.equal(typeof row.score, 'number');
        assert.equal(row.stance, row.score! < -0.33 ? 'neg' : row.score! > 0.33 ? 'pos' : 'neu');
        assert.equal(row.overall, null, 'the safety judge was not used');
        assert.ok(row.group_id && row.perspective);
      }
      // The judge was asked along the grid's axis, with the grid's scorer prompt.
      const asked = server.requests.filter((q) => q.model === 'lean-scorer');
      assert.ok(asked.length >= 12 && asked.every((q) => /stands in a dispute between a landlord and a tenant/.test(q.messages[0]!.content)));

      const rj = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunJson;
      assert.equal(rj.grid?.sides.a.perspective, 'landlord');
      assert.equal(rj.grid?.sides.b.perspective, 'tenant');
      assert.deepEqual(rj.grid?.stance, { neg_below: -0.33, pos_above: 0.33 });
      assert.equal(rj.config.grid?.limit, 4);
      assert.equal(rj.config.grid?.includeNeutral, true);
      assert.ok(!('spec' in (rj.config.grid ?? {})), 'the grid is kept once, at the top of run.json');
      assert.equal(rj.fingerprint.grid?.limit, 4);
      assert.equal(rj.input.grid, RENT);

      const syc = readFileSync(join(runDir, 'sycophancy.csv'), 'utf8');
      assert.equal(syc.split('\n')[0], SYCOPHANCY_COLUMNS.join(','));
      const [s, ...rest] = csv(join(runDir, 'sycophancy.csv'));
      assert.equal(rest.length, 0);
      assert.equal(s!.model_slug, 'subject');
      assert.equal(s!.persona_slug, 'default');
      assert.equal(s!.groups, '4');
      assert.ok(Number(s!.uplift) > 1, `uplift ${s!.uplift}`);
      assert.ok(Number(s!.uplift_ci_low) > 0, 'the interval excludes 0');
      assert.notEqual(s!.mean_neutral, '');
      assert.equal(s!.pos_a, '1');
      assert.equal(s!.neg_b, '1');
      for (const f of allFiles(runDir)) assert.ok(!f.bytes.includes(CANARY_KEY), `${f.path} holds no key`);

      // awb report rebuilds it from partials.jsonl.
      rmSync(join(runDir, 'sycophancy.csv'));
      const rep = await awb(dir, ['report', runDir]);
      assert.equal(rep.code, 0, rep.stderr);
      assert.equal(readFileSync(join(runDir, 'sycophancy.csv'), 'utf8'), syc);
    } finally {
      cleanup();
    }
  });

  test('one row shape: scored rows, judge failures and generation errors all carry every column, null where there is no value', async () => {
    const { dir, cleanup } = tempDir('awb-grid-cli-');
    try {
      const r = await awb(dir, ['run', '--grid', RENT, '--include-neutral', '--limit', '4', '--models', 'subject,fail-400', '--judge-model', 'half-scorer', '--run-id', 'shape', '--concurrency', '4', '--max-retries', '0']);
      assert.equal(r.code === 0 || r.code === 1, true, r.stderr);
      const runDir = join(dir, 'results', 'shape');
      const rows = readPartials(runDir);
      const failed = rows.filter((x) => x.judge_status === 'error');
      const scored = rows.filter((x) => x.judge_status === 'ok');
      const genErrors = rows.filter((x) => x.error !== null);
      assert.ok(failed.length > 0 && scored.length > 0 && genErrors.length > 0, `${failed.length} judge failures, ${scored.length} scored, ${genErrors.length} generation errors`);
      const shape = Object.keys(scored[0]!).sort();
      for (const x of rows) assert.deepEqual(Object.keys(x).sort(), shape, `${x.key} (${x.judge_status}) has the same keys as a scored row`);
      for (const col of RESULT_COLUMNS) assert.ok(shape.includes(col), `every row has ${col}`);
      for (const x of failed) {
        assert.ok('score' in x && 'stance' in x, `${x.key}: a judge failure has score and stance keys`);
        assert.equal(x.score, null);
        assert.equal(x.stance, null);
      }
    } finally {
      cleanup();
    }
  });

  test('Ctrl+C then resume with --run-id alone: every key once, same grid; a changed grid refuses to resume', async () => {
    const { dir, cleanup } = tempDir('awb-grid-cli-');
    try {
      server.reset();
      const args = ['run', '--grid', RENT, '--include-neutral', '--limit', '4', '--model', 'slow-subject', '--judge-model', 'lean-scorer', '--run-id', 'g2', '--concurrency', '2'];
      const first = await awb(dir, args, {
        whileRunning: async () => {
          const partials = join(dir, 'results', 'g2', 'partials.jsonl');
          await until(() => existsSync(partials) && readFileSync(partials, 'utf8').split('\n').length > 3);
          process.emit('SIGINT');
        },
      });
      assert.equal(first.code, 130, first.stderr);
      assert.match(first.stderr, /resume with: awb run --run-id g2/);
      const runDir = join(dir, 'results', 'g2');
      const partial = countedRows(runDir);
      assert.ok(partial.length >= 2 && partial.length < 12, `${partial.length} keys before the cancel`);
      const gridCases = readFileSync(join(runDir, 'grid.cases.jsonl'));

      const changed = await awb(dir, ['run', '--grid', RENT, '--include-neutral', '--limit', '5', '--model', 'slow-subject', '--judge-model', 'lean-scorer', '--run-id', 'g2']);
      assert.equal(changed.code, 1);
      assert.match(changed.stderr, /refusing to resume[\s\S]*grid limit: 4 → 5 groups/);
      const edited = join(dir, 'rent.grid.yaml');
      writeFileSync(edited, readFileSync(RENT, 'utf8').replace('neg_below: -0.33', 'neg_below: -0.5'));
      const changed2 = await awb(dir, ['run', '--grid', edited, '--include-neutral', '--limit', '4', '--model', 'slow-subject', '--judge-model', 'lean-scorer', '--run-id', 'g2']);
      assert.equal(changed2.code, 1);
      assert.match(changed2.stderr, /grid changed: rent\.grid\.yaml/);
      assert.deepEqual(readFileSync(join(runDir, 'grid.cases.jsonl')), gridCases, 'a refused resume leaves the built cases alone');

      const resumed = await awb(dir, ['run', '--run-id', 'g2']);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, /run g2: complete — 12\/12 done/);
      const rows = countedRows(runDir);
      assert.equal(rows.length, 12);
      assert.equal(new Set(rows.map((r) => r.key)).size, 12);
      // One answer per key: cancelled requests wrote nothing; the resume asked only for what was missing.
      const answers = readPartials(runDir).filter((r) => r.judge_status === 'pending');
      assert.equal(answers.length, 12);
      assert.equal(new Set(answers.map((r) => r.key)).size, 12);
      assert.deepEqual(readFileSync(join(runDir, 'grid.cases.jsonl')), gridCases);
      const results = csv(join(runDir, 'results.csv'));
      assert.equal(results.length, 12);
      const [s] = csv(join(runDir, 'sycophancy.csv'));
      assert.equal(s!.groups, '4');
    } finally {
      cleanup();
    }
  });

  test('score later, then awb score RUN_DIR scores with the master scorer and writes sycophancy.csv', async () => {
    const { dir, cleanup } = tempDir('awb-grid-cli-');
    try {
      const r = await awb(dir, [...gridArgs('g3'), '--score', 'later']);
      assert.equal(r.code, 0, r.stderr);
      const runDir = join(dir, 'results', 'g3');
      assert.ok(readPartials(runDir).every((row) => row.judge_status === 'pending'));
      assert.equal(csv(join(runDir, 'sycophancy.csv'))[0]!.groups, '0', 'nothing scored yet');
      const s = await awb(dir, ['score', runDir, '--judge-model', 'lean-scorer']);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /scored 12 of 12 rows with lean-scorer/);
      const results = csv(join(runDir, 'results.csv'));
      assert.ok(results.every((row) => row.judge_status === 'ok' && row.score !== '' && row.stance !== ''));
      const [syc] = csv(join(runDir, 'sycophancy.csv'));
      assert.equal(syc!.groups, '4');
      assert.ok(Number(syc!.uplift) > 1);
    } finally {
      cleanup();
    }
  });

  test('a bench file naming a grid, and seed 001\'s --models FILE roster with --model picking one of it', async () => {
    const { dir, cleanup } = tempDir('awb-grid-cli-');
    try {
      writeFileSync(join(dir, 'roster.json'), JSON.stringify({ models: [
        { slug: 'a', base_url: server.url, model: 'served-a', concurrency: 2 },
        { slug: 'b', base_url: server.url, model: 'served-b', concurrency: 2 },
        { slug: 'scorer', base_url: server.url, model: 'lean-scorer', concurrency: 2 },
      ] }));
      writeFileSync(join(dir, 'syc.bench.yaml'), `grid: ${JSON.stringify(RENT)}\ninclude_neutral: false\nlimit: 2\nmodels: [a, b]\nmodels_file: roster.json\njudge_model: scorer\nrun_id: b1\n`);
      server.reset();
      const r = await awb(dir, ['run', 'syc.bench.yaml']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /grid: 2 groups, 4 cases \(landlord, tenant\)/);
      assert.equal(server.requests.filter((q) => q.model === 'served-a').length, 4);
      assert.equal(server.requests.filter((q) => q.model === 'served-b').length, 4);
      const syc = csv(join(dir, 'results', 'b1', 'sycophancy.csv'));
      assert.deepEqual(syc.map((s) => [s.model_slug, s.groups, s.mean_neutral]), [['a', '2', ''], ['b', '2', '']]);

      server.reset();
      const one = await awb(dir, ['run', '--grid', RENT, '--limit', '1', '--models', 'roster.json', '--model', 'b', '--judge-model', 'scorer', '--run-id', 'm1']);
      assert.equal(one.code, 0, one.stderr);
      assert.equal(server.requests.filter((q) => q.model === 'served-a').length, 0);
      assert.equal(server.requests.filter((q) => q.model === 'served-b').length, 2);
      const all = await awb(dir, ['run', '--grid', RENT, '--limit', '1', '--models', 'roster.json', '--judge-model', 'scorer', '--run-id', 'm2', '--dry-run']);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /2 cases × 1 personas × 3 models = 6 keys/, 'a roster file alone runs every model in it');
      const bad = await awb(dir, ['run', '--grid', RENT, '--dataset', 'x.cases.jsonl', '--model', 'a']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--grid runs the grid's cases only/);
    } finally {
      cleanup();
    }
  });
});
