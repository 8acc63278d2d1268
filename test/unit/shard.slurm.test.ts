/**
 * A sharded run on a real Slurm (single node, Debian's slurm-wlm, offline): the job array of
 * examples/cluster/slurm.sbatch against the fake server on 127.0.0.1, one task cancelled mid-run
 * and resubmitted, then the dependent merge job; the merged run equals the same plan run in one
 * process. test/support/slurm-local.sh installs and configures Slurm (root, apt); this test starts
 * slurmctld and slurmd in the foreground and stops them, and cancels its jobs, when it ends.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { CANARY_KEY, csvOutcome, readParquetWithDuckDB, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

const ROOT = resolve(__dirname, '..', '..');
const SBATCH = join(ROOT, 'examples', 'cluster', 'slurm.sbatch');

let skip: string | undefined;
const daemons: ChildProcess[] = [];
const jobs: string[] = [];
let server: FakeServer;
let cli: string;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const sh = (cmd: string, args: string[], timeout = 30_000) => spawnSync(cmd, args, { encoding: 'utf8', timeout });

/** A process run to its end without blocking the event loop (the fake server lives in it); killed after `ms`. */
function exec(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }, ms: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((r) => child.on('close', (status) => { clearTimeout(timer); r({ status, stdout, stderr }); }));
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  for (let i = 0; i < 10_000; i++) {
    if (ok()) return;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

before(async () => {
  const setup = sh('sh', [join(ROOT, 'test', 'support', 'slurm-local.sh'), '--no-daemons'], 600_000);
  const lastLine = (setup.stdout ?? '').trim().split('\n').pop() ?? '';
  if (setup.status === 3) { skip = lastLine.replace(/^SKIP: /, ''); console.log(`# Slurm test skipped: ${skip}`); return; }
  assert.equal(setup.status, 0, `slurm-local.sh failed: ${setup.stdout}${setup.stderr}`);
  // munged (as its own user), slurmctld and slurmd: ours, in the foreground, unless already running.
  const live = (name: string) => (sh('ps', ['-C', name, '-o', 'stat=']).stdout ?? '').split('\n').some((st) => st.trim() && !st.includes('Z'));
  if (!live('munged')) daemons.push(spawn('setpriv', ['--reuid=munge', '--regid=munge', '--init-groups', '/usr/sbin/munged', '-F'], { stdio: 'ignore' }));
  await until('munge authentication', () => sh('sh', ['-c', 'munge -n | unmunge']).status === 0, 30_000);
  // Our own controller and node daemon, in the foreground, unless some are running already.
  for (const d of ['slurmctld', 'slurmd']) {
    if (live(d)) continue;
    const child = spawn(`/usr/sbin/${d}`, ['-D'], { stdio: 'ignore' });
    daemons.push(child);
  }
  await until('the Slurm node to be idle', () => {
    const st = sh('sinfo', ['-h', '-o', '%T']).stdout?.trim() ?? '';
    if (/down|drain/.test(st)) sh('scontrol', ['update', `nodename=${hostname()}`, 'state=resume']);
    return /idle|mixed/.test(st);
  }, 60_000);
  server = await startFakeOpenAI({ latencyMs: 60 });
  cli = await cliBundle();
});

after(async () => {
  for (const j of jobs) sh('scancel', [j]);
  await server?.close();
  for (const d of daemons.reverse()) d.kill('SIGTERM');
  await sleep(500);
});


test('a 4-task Slurm array with one task cancelled mid-run and resubmitted, then the dependent merge: every key once, figures equal to one process', { timeout: 420_000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  const { dir, cleanup } = tempDir('awb-slurm-');
  try {
    writeCases(dir, 24);
    const plan = '--dataset bench.cases.jsonl --models m1,m2 --personas default,evil_confidant --concurrency 2';
    const env = {
      PATH: process.env.PATH!, HOME: dir, OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url, AWB_REGISTRY: join(dir, 'registry.sqlite'),
      AWB: `${process.execPath} ${cli}`, RUN_ID: 'slurm1', AWB_RUN_ARGS: plan, AWB_OUT: 'results', AWB_SHARDS: '4',
    };
    // The same plan in one process, for comparison.
    const one = await exec(process.execPath, [cli, 'run', ...plan.split(' '), '--run-id', 'slurm1', '--out', 'single', '--concurrency', '8'], { cwd: dir, env: { ...env, AWB_SHARDS: '' } }, 120_000);
    assert.equal(one.status, 0, one.stderr);
    server.reset();

    // The array, as slurm.sbatch's tasks: sbatch --array=0-3 --wait.
    const arr = spawn('sbatch', ['--parsable', '--wait', '--array=0-3', '--output=slurm-%A_%a.out', SBATCH], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    arr.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    arr.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const arrDone = new Promise<number | null>((r) => arr.on('close', (c) => r(c)));
    await until('the array\'s job id', () => /^\d+/.test(out.trim()), 30_000);
    const jobId = /^(\d+)/.exec(out.trim())![1]!;
    jobs.push(jobId);
    // Cancel task 2 once it has written some rows, before it is done.
    const p2 = join(dir, 'results', 'slurm1.shard-2-of-4', 'partials.jsonl');
    await until('task 2 to write rows', () => existsSync(p2) && readFileSync(p2, 'utf8').split('\n').length > 4, 120_000);
    const sc = sh('scancel', [`${jobId}_2`]);
    assert.equal(sc.status, 0, sc.stderr);
    const code = await Promise.race([arrDone, sleep(240_000).then(() => 'timeout' as const)]);
    assert.notEqual(code, 'timeout', 'sbatch --wait did not return');
    assert.notEqual(code, 0, `a cancelled task makes sbatch --wait fail (${err})`);
    const rj2 = JSON.parse(readFileSync(join(dir, 'results', 'slurm1.shard-2-of-4', 'run.json'), 'utf8'));
    assert.equal(rj2.status, 'running', 'task 2 was stopped mid-run');
    const keys2 = rj2.shard.keys as number;
    const rowsBefore = readPartials(join(dir, 'results', 'slurm1.shard-2-of-4')).length;
    assert.ok(rowsBefore < keys2, `task 2 had written ${rowsBefore} of ${keys2} rows when cancelled`);
    for (const i of [0, 1, 3]) assert.equal(JSON.parse(readFileSync(join(dir, 'results', `slurm1.shard-${i}-of-4`, 'run.json'), 'utf8')).status, 'complete', `task ${i}`);

    // The merge refuses while shard 2 is incomplete, naming it.
    const early = await exec(process.execPath, [cli, 'merge', ...[0, 1, 2, 3].map((i) => `results/slurm1.shard-${i}-of-4`), '--out', 'results/slurm1'], { cwd: dir, env }, 60_000);
    assert.equal(early.status, 1);
    assert.match(early.stderr, /shard 2\/4: results\/slurm1\.shard-2-of-4 is incomplete; \d+ of \d+ keys missing — run: awb run --run-id slurm1 --shard 2\/4/);

    // Resubmit index 2 (named: a one-task array cannot tell it), then the merge job depending on it.
    const re = spawnSync('sbatch', ['--parsable', '--array=2', '--export=ALL,AWB_SHARD=2', '--output=slurm-%A_%a.out', SBATCH], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(re.status, 0, re.stderr);
    const reId = re.stdout.trim().split(';')[0]!;
    jobs.push(reId);
    const merge = await exec('sbatch', ['--parsable', '--wait', `--dependency=afterok:${reId}`, '--export=ALL,AWB_ROLE=merge', '--output=merge-%j.out', SBATCH], { cwd: dir, env }, 240_000);
    const logs = readdirSync(dir).filter((f) => f.endsWith('.out')).map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8')}`).join('\n');
    assert.equal(merge.status, 0, `merge job failed: ${merge.stderr}\n${logs}`);
    jobs.push(merge.stdout.trim());

    const merged = join(dir, 'results', 'slurm1');
    const rj = JSON.parse(readFileSync(join(merged, 'run.json'), 'utf8'));
    assert.equal(rj.status, 'complete', logs);
    assert.equal(rj.counts.total, 96);
    // Every key exactly once: partials (last-row rule), CSV, Parquet.
    const rows = readPartials(merged);
    assert.equal(rows.length, 96);
    assert.equal(new Set(rows.map((r) => r.key)).size, 96);
    assert.ok(rows.every((r) => r.error === null && r.run_id === 'slurm1'));
    const csv = csvOutcome(join(merged, 'results.csv'));
    assert.deepEqual(csv, csvOutcome(join(dir, 'single', 'slurm1', 'results.csv')));
    const pq = await readParquetWithDuckDB(join(merged, 'results.parquet'), 'SELECT count(*) AS n, count(DISTINCT key) AS k FROM read_parquet($p)');
    assert.equal(Number(pq[0]!.n), 96);
    assert.equal(Number(pq[0]!.k), 96);
    assert.equal(readFileSync(join(merged, 'summary.csv'), 'utf8'), readFileSync(join(dir, 'single', 'slurm1', 'summary.csv'), 'utf8'));
    // Generations: each key once, plus what the cancelled task had started but not written. The
    // runner writes a row when its key is judged, so that is every key between its generation and
    // its verdict: at most its queue window per model (concurrency + min(concurrency, model's) + 4 = 8).
    const gen = server.requests.filter((r) => r.model === 'm1' || r.model === 'm2');
    const perKey = new Map<string, number>();
    const caseOf = (r: (typeof gen)[number]) => /Question (\d+):/.exec(r.messages[r.messages.length - 1]!.content)![1]!;
    for (const r of gen) { const k = `${r.model}\n${JSON.stringify(r.messages)}`; perKey.set(k, (perKey.get(k) ?? 0) + 1); }
    assert.equal(perKey.size, 96, 'every key asked');
    assert.ok([...perKey.values()].every((n) => n <= 2), 'no key asked more than twice');
    const shard2Cases = new Set(readPartials(join(dir, 'results', 'slurm1.shard-2-of-4')).map((r) => String(Number(r.test_id.replace('case-', '')))));
    const repeated = gen.length - perKey.size;
    const seen = new Set<string>();
    for (const r of gen) {
      const k = `${r.model}\n${JSON.stringify(r.messages)}`;
      if (seen.has(k)) assert.ok(shard2Cases.has(caseOf(r)), `case ${caseOf(r)} was asked twice but is not the cancelled shard's`);
      seen.add(k);
    }
    assert.ok(repeated <= 2 * 8, `${repeated} generations asked again after the cancel (the cancelled task's unwritten keys)`);
    t.diagnostic(`Slurm: array ${jobId}, task 2 cancelled after ${rowsBefore}/${keys2} rows, resubmitted as ${reId}; ${gen.length} generation requests for 96 keys (${repeated} asked again: the cancelled task's keys between answer and verdict)`);
    writeFileSync(join(dir, 'done'), '');
  } finally {
    cleanup();
  }
});
