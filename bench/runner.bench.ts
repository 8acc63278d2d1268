/**
 * The benchmark engine's figures (issue 3):
 *  1. 2,000 cases judged at concurrency 64 against the fake chat-completions server (its own
 *     process, fixed latency): wall time of the call phase as a ratio to the ideal schedule
 *     calls × latency / concurrency (target ≤ 1.25×).
 *  2. Peak RSS of a 100,000-case run with generation and judging (200,000 calls through the
 *     openai SDK), in a child process. The calls go to an in-process fetch that answers at once,
 *     so the figure is the runner's memory (streaming cases, partials, state DB, the final
 *     CSV/Parquet export), not sockets'. Target < 200 MB.
 *  3. Marking a key done at 100,000 keys (sql.js insert), a lookup, and one checkpoint
 *     (export + fsync + rename), against a plain JS Set as the baseline.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { resolveRunConfig } from '../src/core/run/config';
import { runBenchmark } from '../src/core/run/runner';
import { StateDb } from '../src/core/runFolder';
import { writeCases, CANARY_KEY } from '../test/support/runnerFixtures';
import { verdictFor } from '../test/support/fakeOpenAI';
import { cliGarbageCollector } from '../src/cli/garbageCollector';

const ROOT = resolve(__dirname, '..');

async function startServerProcess(latencyMs: number): Promise<{ url: string; stop: () => void; cpuSeconds: () => number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/fakeOpenAI.ts'), '--port', '0', '--latency-ms', String(latencyMs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((res, rej) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /FAKE_OPENAI_URL=(\S+)/.exec(buf);
      if (m) res(m[1]!);
    });
    child.on('exit', (c) => rej(new Error(`fake server exited ${c}`)));
  });
  /** CPU seconds the server process has used so far (Linux /proc; 0 elsewhere). */
  const cpuSeconds = (): number => {
    try {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch { return 0; }
  };
  return { url, stop: () => child.kill(), cpuSeconds };
}

/**
 * Child-process body of the throughput figure, bundled like the CLI (plain node, no tsx), against
 * the fake server at AWB_BENCH_URL; prints one JSON line.
 */
export async function throughputChild(): Promise<void> {
  const latency = Number(process.env.AWB_BENCH_LATENCY), concurrency = 64, cases = 2000;
  const dir = mkdtempSync(join(tmpdir(), 'awb-bench-'));
  try {
    writeCases(dir, cases);
    const env = { OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: process.env.AWB_BENCH_URL! };
    const cfg = await resolveRunConfig({ cwd: dir, env, datasets: ['bench.cases.jsonl'], models: ['m1'], personas: ['default'], concurrency, maxRetries: 0, runId: 'tp' });
    // The model's own limit equals the global one, so only the global limit shapes the schedule.
    cfg.models[0]!.concurrency = concurrency;
    cfg.judge.concurrency = concurrency;
    let firstCall = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    // The CLI's memory settings and collector, as `awb run` has them.
    const gc = cliGarbageCollector();
    const s = await runBenchmark(cfg, { env, ...(gc ? { collectGarbage: gc } : {}), onProgress: (p) => { if (p.phase === 'running' && !firstCall) firstCall = performance.now(); } });
    const total = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ cases, concurrency, latency, calls: s.session.calls, totalMs: total, runningMs: total - (firstCall - t0), cpuMs: (cpu.user + cpu.system) / 1000 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function throughput(latency: number): Promise<void> {
  const server = await startServerProcess(latency);
  const bundle = await bundleChild();
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, AWB_BENCH_MODE: 'throughput', AWB_BENCH_URL: server.url, AWB_BENCH_LATENCY: String(latency) };
    delete env.NODE_OPTIONS; // plain node, as the CLI runs
    const serverCpu0 = server.cpuSeconds();
    // AWB_BENCH_CHILD_ARGS: node flags for the child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const r = spawnSync(process.execPath, [...(process.env.AWB_BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? []), bundle], { cwd: ROOT, encoding: 'utf8', env });
    const serverCpu = server.cpuSeconds() - serverCpu0;
    if (r.status !== 0) { console.log(`throughput: child failed (${r.status}): ${r.stderr.slice(-2000)}`); return; }
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    const ideal = (j.calls! * latency) / j.concurrency!;
    console.log(`throughput: ${j.cases} cases, ${j.calls} calls (generation + judge), latency ${latency} ms, concurrency ${j.concurrency}, bundled like the CLI`);
    console.log(`  ideal schedule ${(ideal / 1000).toFixed(2)} s; whole run ${(j.totalMs! / 1000).toFixed(2)} s (load, calls, export) = ${(j.totalMs! / ideal).toFixed(3)}× ideal`);
    console.log(`  from the first call to the end (incl. CSV/Parquet export) ${(j.runningMs! / 1000).toFixed(2)} s = ${(j.runningMs! / ideal).toFixed(3)}× ideal (target ≤ 1.25×)`);
    console.log(`  runner CPU ${(j.cpuMs! / j.calls!).toFixed(2)} ms per call (SDK, fetch, judge parsing, append, mark) on one event loop`);
    console.log(`  the fake server (its own process) used ${(serverCpu * 1000 / j.calls!).toFixed(2)} ms CPU per call; the machine has ${availableParallelism()} cores for both`);
  } finally {
    server.stop();
    if (process.env.AWB_BENCH_KEEP_BUNDLE) console.log(`  bundle kept: ${bundle}`);
    else rmSync(dirname(bundle), { recursive: true, force: true });
  }
}

/** Child-process body of the 100,000-case memory figure. */
export async function rssChild(): Promise<void> {
  const n = Number(process.env.AWB_BENCH_CASES ?? 100_000);
  const baselineMB = (process.resourceUsage().maxRSS * 1024) / 1e6;
  // The parent writes the dataset, so building the fixture does not count here.
  const dir = process.env.AWB_BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'awb-bench-rss-'));
  try {
    if (!process.env.AWB_BENCH_DIR) writeCases(dir, n);
    const env = { OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
    const cfg = await resolveRunConfig({ cwd: dir, env, datasets: ['bench.cases.jsonl'], models: ['m1'], personas: ['default'], concurrency: 64, runId: 'rss' });
    cfg.models[0]!.concurrency = 64;
    cfg.judge.concurrency = 64;
    const instant = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const body = JSON.parse(String(init?.body)) as { model: string; messages: { content: string }[] };
      const text = body.model === 'gpt-5-mini' ? JSON.stringify(verdictFor(body.messages[0]!.content)) : `Answer to ${body.messages.at(-1)!.content.slice(0, 30)}`;
      return new Response(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const t0 = performance.now();
    const phases: Record<string, number> = {};
    // Where the memory is at each phase change (a diagnostic: which part grows, heap or not).
    const usage: Record<string, Record<string, number>> = {};
    let phase = 'start';
    const gc = process.env.AWB_BENCH_NO_GC ? undefined : cliGarbageCollector();
    const s = await runBenchmark(cfg, { env, fetch: instant as typeof fetch, ...(gc ? { collectGarbage: gc } : {}), onProgress: (p) => {
      if (p.phase !== phase) {
        const k = `${phase}→${p.phase}`;
        phases[k] = (process.resourceUsage().maxRSS * 1024) / 1e6;
        const m = process.memoryUsage();
        usage[k] = { rss: m.rss / 1e6, heapTotal: m.heapTotal / 1e6, heapUsed: m.heapUsed / 1e6, external: m.external / 1e6, arrayBuffers: m.arrayBuffers / 1e6 };
        phase = p.phase;
      }
    } });
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const runDir = join(dir, 'results', 'rss');
    console.log(JSON.stringify({
      baselineMB, cases: n, keys: s.counts.total, done: s.counts.done, calls: s.session.calls, seconds: (performance.now() - t0) / 1000,
      maxRssMB: maxRss / 1e6, phases, usage,
      partialsMB: statSync(join(runDir, 'partials.jsonl')).size / 1e6, parquetMB: statSync(join(runDir, 'results.parquet')).size / 1e6,
    }));
  } finally {
    if (!process.env.AWB_BENCH_DIR) rmSync(dir, { recursive: true, force: true });
  }
}

/** Bundles the bench children like the CLI is bundled (plain node, no tsx in the process). */
async function bundleChild(): Promise<string> {
  const esbuild = await import('esbuild');
  const out = mkdtempSync(join(tmpdir(), 'awb-bench-bundle-'));
  await esbuild.build({
    stdin: { contents: "import { rssChild, throughputChild } from './bench/runner.bench.ts'; (process.env.AWB_BENCH_MODE === 'throughput' ? throughputChild() : rssChild()).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });", resolveDir: ROOT, loader: 'ts' },
    outfile: join(out, 'rss.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'esbuild', '@duckdb/node-api'],
    mainFields: ['module', 'main'], define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" }, logLevel: 'error',
  });
  copyFileSync(join(dirname(require.resolve('sql.js')), 'sql-wasm.wasm'), join(out, 'sql-wasm.wasm'));
  return join(out, 'rss.js');
}

async function memory(): Promise<void> {
  const bundle = await bundleChild();
  const n = Number(process.env.AWB_BENCH_CASES ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'awb-bench-rss-'));
  writeCases(dir, n);
  const env: NodeJS.ProcessEnv = { ...process.env, AWB_BENCH_DIR: dir, AWB_BENCH_CASES: String(n) };
  delete env.NODE_OPTIONS; // plain node, as the CLI runs
  const r = spawnSync(process.execPath, [bundle], { cwd: ROOT, encoding: 'utf8', env });
  rmSync(dirname(bundle), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) { console.log(`memory: child failed (${r.status}): ${r.stderr.slice(-2000)}`); return; }
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number> & { phases: Record<string, number>; usage: Record<string, Record<string, number>> };
  console.log(`memory: ${j.cases} cases × 1 persona × 1 model, generation + judge = ${j.calls} calls through the SDK (in-process instant fetch, no sockets), bundled like the CLI, ${j.seconds!.toFixed(1)} s`);
  console.log(`  peak RSS ${j.maxRssMB!.toFixed(0)} MB (getrusage maxRSS, the CLI's memory settings: liftoff-only wasm, GC between phases; process baseline after start-up ${j.baselineMB!.toFixed(0)} MB; target < 200 MB)`);
  console.log(`  peak RSS so far at each phase change: ${Object.entries(j.phases).map(([k, v]) => `${k} ${v.toFixed(0)} MB`).join(', ')}`);
  console.log(`  at each phase change, RSS = V8 heap (used) + external (array buffers) + the rest: ${Object.entries(j.usage).map(([k, u]) => `${k} ${u.rss!.toFixed(0)} = ${u.heapTotal!.toFixed(0)} (${u.heapUsed!.toFixed(0)}) + ${u.external!.toFixed(0)} (${u.arrayBuffers!.toFixed(0)}) + ${(u.rss! - u.heapTotal! - u.external!).toFixed(0)} MB`).join(', ')}`);
  console.log(`  partials.jsonl ${j.partialsMB!.toFixed(1)} MB, results.parquet ${j.parquetMB!.toFixed(1)} MB`);
}

async function marking(): Promise<void> {
  const n = 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'awb-bench-db-'));
  try {
    const keys = Array.from({ length: n }, (_, i) => `case-${String(i).padStart(6, '0')}|evil_confidant|gpt-4.1-mini`);
    const set = new Set<string>();
    let t = performance.now();
    for (const k of keys) set.add(k);
    const setUs = ((performance.now() - t) * 1000) / n;
    const db = await StateDb.open(join(dir, 'state.sqlite'));
    t = performance.now();
    for (const k of keys) db.markDone(k);
    const markUs = ((performance.now() - t) * 1000) / n;
    // The last 1,000 marks, with 99,000 keys already in the table.
    const more = Array.from({ length: 1000 }, (_, i) => `extra-${i}|default|m`);
    t = performance.now();
    for (const k of more) db.markDone(k);
    const markLateUs = ((performance.now() - t) * 1000) / more.length;
    t = performance.now();
    let hits = 0;
    for (let i = 0; i < n; i += 10) if (db.has(keys[i]!)) hits++;
    const hasUs = ((performance.now() - t) * 1000) / (n / 10);
    const cps: number[] = [];
    for (let i = 0; i < 3; i++) { db.markDone(`cp-${i}`); cps.push(db.checkpoint({ offset: i + 1, line: i + 1 })); }
    const size = statSync(join(dir, 'state.sqlite')).size;
    db.close();
    console.log(`marking done at ${n.toLocaleString('en')} keys (sql.js, in memory): ${markUs.toFixed(2)} µs per mark on average, ${markLateUs.toFixed(2)} µs per mark at 100k keys; lookup ${hasUs.toFixed(2)} µs (${hits} hits)`);
    console.log(`  baseline JS Set.add ${setUs.toFixed(3)} µs → mark costs ${(markUs / setUs).toFixed(0)}× a Set insert`);
    console.log(`  checkpoint (export ${(size / 1e6).toFixed(1)} MB + fsync + rename): ${cps.map((c) => c.toFixed(0)).join(', ')} ms; run every 5 s, never per row`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Only the marking figure. */
export async function markingOnly(): Promise<void> {
  await marking();
}

/** Only the throughput figure at a given latency. */
export async function throughputOnly(latency = Number(process.env.AWB_BENCH_LATENCY ?? 50)): Promise<void> {
  await throughput(latency);
}

/** Only the memory figure (e.g. AWB_BENCH_CASES=20000 for a quick look). */
export async function memoryOnly(): Promise<void> {
  await memory();
}

export async function run(): Promise<void> {
  await marking();
  await throughput(200);
  await throughput(50);
  await memory();
}
