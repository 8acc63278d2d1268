/**
 * `awb merge` (issue 14): 4 shards × 25,000 rows (25,000 cases × 2 personas × 2 models, rows of
 * ~1 KB as a judged run writes them) merged by the built CLI in its own process: wall time and
 * peak RSS (getrusage maxRSS, reported at exit by a preload). Baselines measured in the same run
 * on the same bytes: (a) a plain read-parse-write of the four partials files into one, the least
 * a merge can do; (b) `awb report` of the merged folder, what rebuilding any run's CSV/Parquet/
 * summary costs (a merge is (a) plus (b) plus its checks).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cliBundle } from '../test/support/buildCli';
import { assignShards, shardRecord, planShards } from '../src/core/run/shard';
import { verdictFor } from '../test/support/fakeOpenAI';

const ROOT = resolve(__dirname, '..');
const CASES = Number(process.env.AWB_BENCH_MERGE_CASES ?? 25_000);
const SHARDS = 4;
const PERSONAS = ['default', 'evil_confidant'];
const MODELS = ['m1', 'm2'];

class Out {
  private parts: string[] = [];
  private size = 0;
  private fd: number;
  constructor(file: string) { this.fd = openSync(file, 'w'); }
  write(s: string): void { this.parts.push(s); this.size += s.length; if (this.size > 1 << 20) this.flush(); }
  flush(): void { const b = Buffer.from(this.parts.join('')); let o = 0; while (o < b.length) o += writeSync(this.fd, b, o, b.length - o); this.parts = []; this.size = 0; }
  close(): void { this.flush(); closeSync(this.fd); }
}

function fixture(dir: string): string[] {
  const plan = createHash('sha256').update('merge bench plan').digest('hex');
  const snap = join(dir, 'cases.jsonl');
  const cases = new Out(snap);
  for (let i = 0; i < CASES; i++) {
    const id = `case-${String(i).padStart(6, '0')}`;
    cases.write(JSON.stringify({ dataset: 'bench.cases.jsonl', line: i + 1, case: { id, category: i % 3 ? 'safety' : 'honesty', subcategory: 'x', persona_system_prompt: `You are assistant number ${i}.`, conversation: [{ role: 'user', content: `Question ${i}: tell me something risky.` }] } }) + '\n');
  }
  cases.close();
  const split = planShards(snap, plan, SHARDS, false);
  const dirs: string[] = [];
  const outs: Out[] = [];
  const fingerprint = { datasets: [{ path: 'bench.cases.jsonl', sha256: 'x' }], limit: null, models: MODELS.map((slug) => ({ slug, model: slug, baseURL: 'http://127.0.0.1:9/v1', params: {} })), personas: Object.fromEntries(PERSONAS.map((p) => [p, p])), score: 'now', judge: null };
  for (let s = 0; s < SHARDS; s++) {
    const d = join(dir, 'results', `bench.shard-${s}-of-${SHARDS}`);
    mkdirSync(d, { recursive: true });
    dirs.push(d);
    const rec = shardRecord(split, plan, { index: s, count: SHARDS }, PERSONAS.length * MODELS.length);
    const now = new Date().toISOString();
    writeFileSync(join(d, 'run.json'), JSON.stringify({ format: 1, run_id: 'bench', created_at: now, updated_at: now, status: 'complete', config: { runId: 'bench' }, input: {}, fingerprint, fingerprint_sha256: plan, datasets: [], prompts: { personas: {}, judge: null }, counts: { total: rec.keys, done: rec.keys, errors: 0, judge_errors: 0, judge_pending: 0 }, scoring: [], resume_command: '', shard: rec }));
    outs.push(new Out(join(d, 'partials.jsonl')));
  }
  const shardOf = assignShards(plan, Array.from({ length: CASES }, (_, i) => `c:case-${String(i).padStart(6, '0')}`), SHARDS);
  for (let i = 0; i < CASES; i++) {
    const id = `case-${String(i).padStart(6, '0')}`;
    const out = outs[shardOf.get(`c:${id}`)!]!;
    for (const p of PERSONAS) for (const m of MODELS) {
      const v = verdictFor(`${id}${p}${m}`);
      const answer = `Answer from ${m} to ${id} as ${p}: ` + 'I cannot help with that, but here is some safe and general information instead. '.repeat(4);
      out.write(JSON.stringify({ run_id: 'bench', test_id: id, category: i % 3 ? 'safety' : 'honesty', subcategory: 'x', persona_slug: p, model_slug: m, started_at: '2026-01-01T00:00:00.000Z', completed_at: '2026-01-01T00:00:01.000Z', raw_candidate: answer, judge_json: v, attack_success: v.attack_success, overall: v.overall, safety_score: (v.safety as { score: number }).score, error: null, key: `${id}|${p}|${m}`, dataset: 'bench.cases.jsonl', dataset_line: i + 1, model: m, judge_status: 'ok', judge_model: 'gpt-5-mini', judge_error: null, judge_raw: null, judge_attempts: 1, attempts: 1, latency_ms: 800, judge_latency_ms: 900, group_id: null, perspective: null }) + '\n');
    }
  }
  for (const o of outs) o.close();
  for (const d of dirs) writeFileSync(join(d, 'cases.jsonl'), '');
  // Every shard has the same snapshot (the runner writes the whole plan's cases into each).
  for (const d of dirs) spawnSync('cp', [snap, join(d, 'cases.jsonl')]);
  return dirs;
}

/** Runs node with a preload that prints `MAXRSS=<bytes>` at exit; returns wall time and peak RSS. */
function measured(args: string[], cwd: string, preload: string): { ms: number; rssMB: number; status: number | null; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, AWB_REGISTRY: join(cwd, 'registry.sqlite') };
  delete env.NODE_OPTIONS;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', preload, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  const m = /MAXRSS=(\d+)/.exec(r.stderr);
  return { ms, rssMB: m ? Number(m[1]) / 1e6 : NaN, status: r.status, out: (r.stdout + r.stderr).slice(-2000) };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'awb-bench-merge-'));
  try {
    const cli = await cliBundle();
    const preload = join(dir, 'maxrss.cjs');
    writeFileSync(preload, "process.on('exit', () => process.stderr.write(`MAXRSS=${process.resourceUsage().maxRSS * 1024}\\n`));\n");
    const t0 = performance.now();
    const dirs = fixture(dir);
    const bytes = dirs.reduce((n, d) => n + statSync(join(d, 'partials.jsonl')).size, 0);
    console.log(`merge: ${SHARDS} shards × ${CASES * PERSONAS.length * MODELS.length / SHARDS} rows (${CASES} cases × ${PERSONAS.length} personas × ${MODELS.length} models), ${(bytes / 1e6).toFixed(1)} MB of partials; fixture built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // (a) The least a merge does: read every line, parse it, write it to one file.
    const copyJs = join(dir, 'copy.cjs');
    writeFileSync(copyJs, `const fs = require('fs');
const out = fs.openSync(process.argv[2], 'w');
for (const f of process.argv.slice(3)) {
  const fd = fs.openSync(f, 'r'); const buf = Buffer.allocUnsafe(1 << 20); let carry = ''; let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
    const lines = (carry + buf.toString('utf8', 0, n)).split('\\n'); carry = lines.pop();
    const keep = []; for (const l of lines) { if (l) { JSON.parse(l); keep.push(l); } }
    fs.writeSync(out, keep.join('\\n') + '\\n');
  }
  fs.closeSync(fd);
}
fs.fsyncSync(out); fs.closeSync(out);
`);
    const copy = measured([copyJs, join(dir, 'copy.jsonl'), ...dirs.map((d) => join(d, 'partials.jsonl'))], dir, preload);
    if (copy.status !== 0) { console.log(`  baseline copy failed: ${copy.out}`); return; }
    const merge = measured([cli, 'merge', ...dirs, '--out', join(dir, 'results', 'bench')], dir, preload);
    if (merge.status !== 0) { console.log(`  merge failed (${merge.status}): ${merge.out}`); return; }
    const report = measured([cli, 'report', join(dir, 'results', 'bench')], dir, preload);
    if (report.status !== 0) { console.log(`  report failed: ${report.out}`); return; }
    console.log(`  awb merge (built CLI, own process): ${(merge.ms / 1000).toFixed(2)} s, peak RSS ${merge.rssMB.toFixed(0)} MB — checks, partials, state.sqlite, CSV, Parquet, summary`);
    console.log(`  baseline (a) read + JSON.parse + write the same ${(bytes / 1e6).toFixed(0)} MB into one file: ${(copy.ms / 1000).toFixed(2)} s, peak RSS ${copy.rssMB.toFixed(0)} MB → merge = ${(merge.ms / copy.ms).toFixed(1)}× its time`);
    console.log(`  baseline (b) awb report of the merged run (CSV, Parquet, summary from ${(CASES * PERSONAS.length * MODELS.length).toLocaleString("en-US")} rows): ${(report.ms / 1000).toFixed(2)} s, peak RSS ${report.rssMB.toFixed(0)} MB → merge = ${(merge.ms / report.ms).toFixed(2)}× its time, ${(merge.rssMB / report.rssMB).toFixed(2)}× its memory`);
  } finally {
    if (process.env.AWB_BENCH_KEEP) console.log(`  kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
