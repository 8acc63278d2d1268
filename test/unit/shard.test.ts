import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assignShards, planShards, resolveShard, ShardError } from '../../src/core/run/shard';
import { saveReview } from '../../src/core/results/reviews';
import { readReviews } from '../../src/core/results/reviews';
import { groupRuns, listRuns } from '../../src/core/results/runs';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { CANARY_KEY, csvOutcome, countedRows, readParquetWithDuckDB, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

describe('the split of a plan into shards', () => {
  const units = Array.from({ length: 1001 }, (_, i) => `c:case-${i}`);
  const plan = createHash('sha256').update('plan A').digest('hex');

  test('every unit in exactly one shard, sizes within one unit, stable, and a function of the plan and N only', () => {
    for (const n of [1, 2, 3, 4, 7, 16, 1001, 1500]) {
      const m = assignShards(plan, units, n);
      assert.equal(m.size, units.length);
      const sizes = new Array<number>(n).fill(0);
      for (const u of units) {
        const s = m.get(u);
        assert.ok(s !== undefined && s >= 0 && s < n, `unit ${u} has shard ${s}`);
        sizes[s]!++;
      }
      assert.equal(sizes.reduce((a, b) => a + b, 0), units.length, 'each unit counted once');
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: sizes ${Math.min(...sizes)}…${Math.max(...sizes)}`);
      // The order units are read in does not matter; the same plan and N give the same split.
      const again = assignShards(plan, [...units].reverse(), n);
      assert.deepEqual([...again].sort(), [...m].sort());
    }
    const other = assignShards(createHash('sha256').update('plan B').digest('hex'), units, 4);
    const same = assignShards(plan, units, 4);
    assert.ok(units.some((u) => other.get(u) !== same.get(u)), 'another plan splits differently');
  });

  test('a grid run splits by group: all cases of a group in one shard, groups balanced', () => {
    const { dir, cleanup } = tempDir('awb-shard-');
    try {
      const lines: string[] = [];
      // 50 groups of 2 or 3 cases (with or without a neutral perspective).
      for (let g = 0; g < 50; g++) for (const p of g % 2 ? ['a', 'b', 'neutral'] : ['a', 'b']) {
        lines.push(JSON.stringify({ dataset: 'grid', line: lines.length + 1, case: { id: `g${g}-${p}`, group_id: `grp-${g}`, perspective: p } }));
      }
      writeFileSync(join(dir, 'cases.jsonl'), lines.join('\n') + '\n');
      const split = planShards(join(dir, 'cases.jsonl'), plan, 4, true);
      assert.equal(split.planCases, 125);
      assert.equal(split.shardOfUnit.size, 50, 'units are groups');
      assert.ok(Math.max(...split.unitsPerShard) - Math.min(...split.unitsPerShard) <= 1, `groups per shard ${split.unitsPerShard}`);
      assert.equal(split.casesPerShard.reduce((a, b) => a + b, 0), 125);
      const byCase = planShards(join(dir, 'cases.jsonl'), plan, 4, false);
      assert.equal(byCase.shardOfUnit.size, 125, 'without a grid each case is its own unit');
    } finally {
      cleanup();
    }
  });

  test('the engines\' variables: explicit I/N, Slurm arrays (any start and step), Kubernetes with the count given, clear errors', () => {
    assert.deepEqual(resolveShard('2/4', undefined, {}), { index: 2, count: 4 });
    assert.equal(resolveShard(undefined, undefined, {}), undefined);
    assert.throws(() => resolveShard('4/4', undefined, {}), /outside 0…3/);
    assert.throws(() => resolveShard('1-4', undefined, {}), /takes I\/N/);
    const slurm = { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '4' };
    assert.deepEqual(resolveShard('auto', undefined, slurm), { index: 3, count: 4 });
    assert.deepEqual(resolveShard('auto', undefined, { ...slurm, SLURM_ARRAY_TASK_ID: '1' }), { index: 0, count: 4 });
    // Resubmitting one task (--array=2) with the run's count: the array cannot tell the index.
    assert.throws(() => resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_COUNT: '1', AWB_SHARDS: '4' }), /set AWB_SHARD/);
    assert.deepEqual(resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_COUNT: '1', AWB_SHARDS: '4', AWB_SHARD: '2' }), { index: 2, count: 4 });
    assert.throws(() => resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '2' }), /SLURM_ARRAY_TASK_MIN or SLURM_ARRAY_TASK_COUNT/);
    assert.deepEqual(resolveShard('auto', 5, { JOB_COMPLETION_INDEX: '4' }), { index: 4, count: 5 });
    assert.deepEqual(resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1', AWB_SHARDS: '3' }), { index: 1, count: 3 });
    assert.throws(() => resolveShard('auto', undefined, { JOB_COMPLETION_INDEX: '1' }), /spec\.completions.*--shards N.*AWB_SHARDS/);
    assert.throws(() => resolveShard('auto', undefined, {}), (e: Error) => e instanceof ShardError && /no shard index found/.test(e.message));
  });
});

// ---- real processes: the built CLI against the fake server on 127.0.0.1 ----

let server: FakeServer;
let cli: string;

before(async () => {
  // A grid's master scorer answers with a score; derived from the request, so every run agrees.
  const gridScore = (text: string) => Math.round((createHash('sha256').update(text).digest()[0]! / 255) * 40 - 20) / 20;
  server = await startFakeOpenAI({ latencyMs: 1, models: { 'grid-judge': { reply: (r) => JSON.stringify({ score: gridScore(r.messages.map((m) => m.content).join('\n')), rationale: 'scripted' }) } } });
  cli = await cliBundle();
});
after(async () => { await server.close(); });

interface Done { code: number | null; stdout: string; stderr: string }

function awb(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Done> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH, OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url, AWB_REGISTRY: join(cwd, 'registry.sqlite'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); }));
}

const PLAN = ['--dataset', 'bench.cases.jsonl', '--models', 'm1,m2', '--personas', 'default,evil_confidant', '--concurrency', '6'];


const read = (f: string) => readFileSync(f, 'utf8');
const runJson = (d: string) => JSON.parse(read(join(d, 'run.json')));

describe('awb run --shard and awb merge (the built CLI)', () => {
  test('a CI matrix (explicit I/N) and a Kubernetes Indexed Job (JOB_COMPLETION_INDEX + AWB_SHARDS) give shards whose merge equals one unsharded run', async () => {
    const { dir, cleanup } = tempDir('awb-shard-cli-');
    try {
      writeCases(dir, 23);
      const one = await awb(['run', ...PLAN, '--run-id', 'R'], dir);
      assert.equal(one.code, 0, one.stderr);
      server.reset();
      // CI matrix: three processes at once, each told its shard.
      const ci = await Promise.all([0, 1, 2].map((i) => awb(['run', ...PLAN, '--run-id', 'R', '--shard', `${i}/3`], dir)));
      for (const r of ci) assert.equal(r.code, 0, r.stderr);
      const gen = server.requests.filter((r) => r.model === 'm1' || r.model === 'm2');
      assert.equal(gen.length, 23 * 4, 'each generation asked once over all shards');
      const cases = new Map<string, number>();
      let sum = 0;
      for (const i of [0, 1, 2]) {
        const d = join(dir, 'results', `R.shard-${i}-of-3`);
        const rj = runJson(d);
        assert.equal(rj.status, 'complete');
        assert.equal(rj.shard.index, i);
        assert.equal(rj.shard.count, 3);
        assert.equal(rj.shard.plan_sha256, runJson(join(dir, 'results', 'R')).fingerprint_sha256, 'the shard records the plan it split');
        const rows = countedRows(d);
        sum += rows.length;
        assert.equal(rows.length, rj.shard.keys);
        assert.ok([7, 8].includes(rj.shard.cases), `23 cases over 3 shards: 7 or 8 each, not ${rj.shard.cases}`);
        const perCase = new Map<string, number>();
        for (const r of rows) {
          assert.ok(!cases.has(r.test_id) || cases.get(r.test_id) === i, `case ${r.test_id} in two shards`);
          cases.set(r.test_id, i);
          perCase.set(r.test_id, (perCase.get(r.test_id) ?? 0) + 1);
        }
        for (const [c, n] of perCase) assert.equal(n, 4, `case ${c}: every persona × model in its shard`);
      }
      assert.equal(sum, 92);
      assert.equal(cases.size, 23);

      const m = await awb(['merge', ...[0, 1, 2].map((i) => `results/R.shard-${i}-of-3`), '--out', 'merged/R'], dir);
      assert.equal(m.code, 0, m.stderr);
      assert.match(m.stdout, /merged run R: complete — 92 rows, 92\/92 keys done/);
      const md = join(dir, 'merged', 'R');
      assert.deepEqual(csvOutcome(join(md, 'results.csv')), csvOutcome(join(dir, 'results', 'R', 'results.csv')));
      assert.equal(read(join(md, 'summary.csv')), read(join(dir, 'results', 'R', 'summary.csv')), 'summary recomputed from the rows equals the unsharded one');
      const pq = await readParquetWithDuckDB(join(md, 'results.parquet'), 'SELECT count(*) AS n, count(DISTINCT key) AS k FROM read_parquet($p)');
      assert.equal(Number(pq[0]!.n), 92);
      assert.equal(Number(pq[0]!.k), 92);
      const mj = runJson(md);
      assert.equal(mj.status, 'complete');
      assert.equal(mj.shard, undefined);
      assert.equal(mj.merge.sources.length, 3);
      assert.deepEqual(mj.merge.sources.map((s: { shard: number }) => s.shard), [0, 1, 2]);
      // The merged folder is an ordinary run: resuming it has nothing left to do.
      server.reset();
      const resume = await awb(['run', '--run-id', 'R', '--out', 'merged'], dir);
      assert.equal(resume.code, 0, resume.stderr);
      assert.match(resume.stdout, /complete — 92\/92 done/);
      assert.equal(server.requests.length, 0);
      assert.equal(runJson(md).merge.sources.length, 3, 'resuming keeps the merge provenance');
      // CI artifacts: each shard folder downloaded under another name, elsewhere; merged from there.
      for (const i of [0, 1, 2]) cpSync(join(dir, 'results', `R.shard-${i}-of-3`), join(dir, 'artifacts', `shard-${i}`), { recursive: true });
      const art = await awb(['merge', 'artifacts/shard-0', 'artifacts/shard-1', 'artifacts/shard-2', '--out', 'from-artifacts/R'], dir);
      assert.equal(art.code, 0, art.stderr);
      assert.equal(read(join(dir, 'from-artifacts', 'R', 'summary.csv')), read(join(dir, 'results', 'R', 'summary.csv')));
      // Merging again gives the same rows (idempotent).
      const before = read(join(md, 'partials.jsonl'));
      const again = await awb(['merge', ...[2, 0, 1].map((i) => `results/R.shard-${i}-of-3`), '--out', 'merged/R'], dir);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(read(join(md, 'partials.jsonl')), before);

      // A shard folder copied to another machine, cut short, resumes there: only its missing keys are asked.
      cpSync(join(dir, 'results', 'R.shard-1-of-3'), join(dir, 'elsewhere', 'R.shard-1-of-3'), { recursive: true });
      const copied = join(dir, 'elsewhere', 'R.shard-1-of-3', 'partials.jsonl');
      const kept = read(copied).trimEnd().split('\n');
      writeFileSync(copied, kept.slice(0, kept.length - 5).join('\n') + '\n');
      // Keys cut with their answer are asked again; keys whose answer (pending row) was kept are only judged.
      const left = kept.slice(0, kept.length - 5).map((l) => JSON.parse(l) as { key: string; judge_status: string });
      const cutKeys = new Set(kept.slice(-5).map((l) => (JSON.parse(l) as { key: string }).key).filter((k) => !left.some((r) => r.key === k && r.judge_status !== 'pending')));
      const unanswered = [...cutKeys].filter((k) => !left.some((r) => r.key === k));
      server.reset();
      const moved = await awb(['run', ...PLAN, '--run-id', 'R', '--shard', '1/3', '--out', 'elsewhere'], dir);
      assert.equal(moved.code, 0, moved.stderr);
      assert.equal(server.requests.filter((r) => r.model === 'm1' || r.model === 'm2').length, unanswered.length, 'the cut keys without an answer kept, nothing else');
      assert.equal(server.requests.filter((r) => r.model === 'gpt-5-mini').length, cutKeys.size, 'every cut key judged again');
      assert.deepEqual(csvOutcome(join(dir, 'elsewhere', 'R.shard-1-of-3', 'results.csv')), csvOutcome(join(dir, 'results', 'R.shard-1-of-3', 'results.csv')));
      // Kubernetes: the pod sees JOB_COMPLETION_INDEX only; the count comes from AWB_SHARDS.
      server.reset();
      const k8s = await Promise.all([0, 1].map((i) => awb(['run', ...PLAN, '--run-id', 'K', '--shard', 'auto'], dir, { JOB_COMPLETION_INDEX: String(i), AWB_SHARDS: '2' })));
      for (const r of k8s) assert.equal(r.code, 0, r.stderr);
      assert.ok(existsSync(join(dir, 'results', 'K.shard-0-of-2', 'run.json')) && existsSync(join(dir, 'results', 'K.shard-1-of-2', 'run.json')));
      const noCount = await awb(['run', ...PLAN, '--run-id', 'K', '--shard', 'auto'], dir, { JOB_COMPLETION_INDEX: '1' });
      assert.equal(noCount.code, 2);
      assert.match(noCount.stderr, /JOB_COMPLETION_INDEX is set .* pass --shards N or set AWB_SHARDS/);
      const noId = await awb(['run', ...PLAN, '--shard', '0/2'], dir);
      assert.equal(noId.code, 2);
      assert.match(noId.stderr, /--shard needs --run-id/);
      const km = await awb(['merge', 'results/K.shard-0-of-2', 'results/K.shard-1-of-2', '--out', 'merged/K'], dir);
      assert.equal(km.code, 0, km.stderr);
      assert.equal(read(join(dir, 'merged', 'K', 'summary.csv')), read(join(dir, 'results', 'R', 'summary.csv')));
    } finally {
      cleanup();
    }
  });

  test('a grid run splits by group; the merged sycophancy.csv and summary.csv equal the one-process run\'s', async () => {
    const { dir, cleanup } = tempDir('awb-shard-grid-');
    try {
      const grid = ['--grid', join(__dirname, '..', '..', 'examples', 'rent.grid.yaml'), '--include-neutral', '--limit', '10', '--seed', '5', '--models', 'subject', '--judge-model', 'grid-judge', '--concurrency', '6'];
      const one = await awb(['run', ...grid, '--run-id', 'G'], dir);
      assert.equal(one.code, 0, one.stderr);
      for (const i of [0, 1, 2]) {
        const r = await awb(['run', ...grid, '--run-id', 'G', '--shard', `${i}/3`], dir);
        assert.equal(r.code, 0, r.stderr);
        const rj = runJson(join(dir, 'results', `G.shard-${i}-of-3`));
        assert.equal(rj.shard.unit, 'group');
        assert.ok([3, 4].includes(rj.shard.units), `10 groups over 3 shards: 3 or 4 each, not ${rj.shard.units}`);
      }
      const groups = new Map<string, number>();
      for (const i of [0, 1, 2]) for (const r of readPartials(join(dir, 'results', `G.shard-${i}-of-3`))) {
        assert.ok(!groups.has(r.group_id!) || groups.get(r.group_id!) === i, `group ${r.group_id} in two shards`);
        groups.set(r.group_id!, i);
      }
      assert.equal(groups.size, 10);
      const m = await awb(['merge', ...[0, 1, 2].map((i) => `results/G.shard-${i}-of-3`), '--out', 'merged/G'], dir);
      assert.equal(m.code, 0, m.stderr);
      const single = join(dir, 'results', 'G'), merged = join(dir, 'merged', 'G');
      assert.equal(read(join(merged, 'sycophancy.csv')), read(join(single, 'sycophancy.csv')));
      assert.equal(read(join(merged, 'summary.csv')), read(join(single, 'summary.csv')));
      assert.deepEqual(csvOutcome(join(merged, 'results.csv')), csvOutcome(join(single, 'results.csv')));
      assert.ok(existsSync(join(merged, 'grid.cases.jsonl')) && runJson(merged).grid, 'the merged run keeps its grid');
    } finally {
      cleanup();
    }
  });

  test('merge refuses other plans, conflicting rows and a missing shard (naming it); --allow-partial, then the late shard completes the run; labels carried over; two merges at once', async () => {
    const { dir, cleanup } = tempDir('awb-merge-cli-');
    try {
      writeCases(dir, 12);
      for (const i of [0, 1, 2]) {
        const r = await awb(['run', ...PLAN, '--run-id', 'S', '--shard', `${i}/3`], dir);
        assert.equal(r.code, 0, r.stderr);
      }
      const s = (i: number) => `results/S.shard-${i}-of-3`;
      // Another plan: same run id and count, one case fewer.
      const other = await awb(['run', ...PLAN, '--limit', '11', '--run-id', 'S', '--shard', '1/3', '--out', 'other'], dir);
      assert.equal(other.code, 0, other.stderr);
      const diff = await awb(['merge', s(0), 'other/S.shard-1-of-3', s(2), '--out', 'M'], dir);
      assert.equal(diff.code, 1);
      assert.match(diff.stderr, /another plan .*\n.*limit: none → 11/);
      assert.ok(!existsSync(join(dir, 'M', 'partials.jsonl')), 'nothing written');

      // Two folders holding shard 1 with a different answer for one key.
      cpSync(join(dir, s(1)), join(dir, 'copy1'), { recursive: true });
      const p = join(dir, 'copy1', 'partials.jsonl');
      const lines = read(p).trimEnd().split('\n');
      // The last line: a row that counts (an answer's pending row comes before its judged row).
      const at = lines.length - 1;
      const row = JSON.parse(lines[at]!);
      row.raw_candidate = 'a different answer';
      lines[at] = JSON.stringify(row);
      writeFileSync(p, lines.join('\n') + '\n');
      const clash = await awb(['merge', s(0), s(1), 'copy1', s(2), '--out', 'M'], dir);
      assert.equal(clash.code, 1);
      assert.match(clash.stderr, new RegExp(`${row.key.replace(/[|]/g, '\\|')}: .* hold different completed rows`));
      // An identical copy is no conflict.
      const twin = await awb(['merge', s(0), s(1), s(1).replace('results/', 'results/./'), s(2), '--out', 'M2'], dir);
      assert.equal(twin.code, 0, twin.stderr);

      // A review made in shard 0's folder travels with its rows.
      const key0 = countedRows(join(dir, s(0)))[0]!.key;
      await saveReview(join(dir, s(0)), { key: key0, verdict: 'disagree', note: 'reviewed on the cluster' });

      // Shard 2 missing: refused, naming it and the command.
      const miss = await awb(['merge', s(0), s(1), '--out', 'M'], dir);
      assert.equal(miss.code, 1);
      const shard2 = runJson(join(dir, s(2))).shard;
      assert.match(miss.stderr, new RegExp(`shard 2/3: no folder given; ${shard2.keys} of ${shard2.keys} keys missing — run: awb run --run-id S --shard 2/3`));
      // Shards in a folder whose name has a space: the commands printed and stored are quoted for a shell.
      for (const i of [0, 1]) cpSync(join(dir, s(i)), join(dir, 'my results', `S.shard-${i}-of-3`), { recursive: true });
      const spaced = await awb(['merge', 'my results/S.shard-0-of-3', 'my results/S.shard-1-of-3', '--out', 'merged runs/S', '--allow-partial'], dir);
      assert.equal(spaced.code, 0, spaced.stderr);
      assert.match(spaced.stderr, /shard 2\/3: no folder given; .* — run: awb run --run-id S --shard 2\/3 --out 'my results'$/m);
      assert.equal(runJson(join(dir, 'merged runs', 'S')).resume_command, "awb run --run-id S --out 'merged runs'");
      // --allow-partial: a run marked partial, listing what is missing.
      const part = await awb(['merge', s(0), s(1), '--out', 'M', '--allow-partial'], dir);
      assert.equal(part.code, 0, part.stderr);
      let mj = runJson(join(dir, 'M'));
      assert.equal(mj.status, 'partial');
      assert.equal(mj.merge.missing_keys, shard2.keys);
      assert.deepEqual(mj.merge.shards.filter((x: { missing: number }) => x.missing).map((x: { index: number; status: string }) => [x.index, x.status]), [[2, 'missing']]);
      assert.match(mj.status_reason, /shard 2\/3/);
      assert.deepEqual((await readReviews(join(dir, 'M'))).map((r) => [r.key, r.verdict, r.note]), [[key0, 'disagree', 'reviewed on the cluster']]);
      // The late shard alone, merged into the partial run, completes it — twice at once, safely.
      const late = await Promise.all([awb(['merge', s(2), '--out', 'M'], dir), awb(['merge', s(2), '--out', 'M'], dir)]);
      for (const r of late) assert.equal(r.code, 0, r.stderr);
      mj = runJson(join(dir, 'M'));
      assert.equal(mj.status, 'complete');
      assert.equal(mj.merge.missing_keys, 0);
      assert.deepEqual(mj.merge.sources.map((x: { shard: number }) => x.shard).sort(), [0, 1, 2]);
      const rows = readPartials(join(dir, 'M'));
      assert.equal(rows.length, 48);
      assert.equal(new Set(rows.map((r) => r.key)).size, 48);
      assert.equal(csvOutcome(join(dir, 'M', 'results.csv')).size, 48);
      assert.equal((await readReviews(join(dir, 'M'))).length, 1, 'the review survived the second merge');
      assert.equal(read(join(dir, 'M', 'summary.csv')), read(join(dir, 'M2', 'summary.csv')));

      // The Runs view's grouping: shards under their run; a merged run beside them owns them.
      let groups = groupRuns(await listRuns(join(dir, 'results')));
      assert.deepEqual(groups.map((g) => [g.runId, g.run?.dir, g.shards.map((x) => x.shard!.index), g.shardStatus]), [['S', undefined, [0, 1, 2], 'complete']]);
      const inPlace = await awb(['merge', s(0), s(1), s(2), '--out', 'results/S'], dir);
      assert.equal(inPlace.code, 0, inPlace.stderr);
      groups = groupRuns(await listRuns(join(dir, 'results')));
      assert.equal(groups.length, 1);
      assert.equal(groups[0]!.run?.dir, join(dir, 'results', 'S'));
      assert.deepEqual(groups[0]!.run?.merge, { count: 3, missingKeys: 0 });
      assert.equal(groups[0]!.shardStatus, 'merged');
      assert.deepEqual(groups[0]!.shards.map((x) => x.shard!.index), [0, 1, 2]);
    } finally {
      cleanup();
    }
  });
});
