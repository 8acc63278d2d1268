// Registry bench (issue 7): search over 10,000 registered datasets through the HTTP server
// (p50/p95 latency and requests per second, on 127.0.0.1) and through the CLI (cold start to
// output). Baselines measured in the same run: GET /healthz on the same server (the framework's
// floor) and `awb --version` (the CLI bundle's own start-up).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalRegistry } from '../src/core/registry';
import type { DatasetCard } from '../src/core/schemas/card';

const ROOT = resolve(__dirname, '..');
const N = 10_000;
const CATEGORIES = ['helpfulness', 'harmlessness', 'honesty', 'privacy', 'sycophancy', 'fairness', 'robustness', 'refusal'];
const WORDS = ['jailbreak', 'medical', 'legal', 'finance', 'roleplay', 'multilingual', 'code', 'persuasion', 'self-harm', 'weapons', 'misinformation', 'elections', 'children', 'extremism', 'copyright', 'pii', 'flattery', 'tenant', 'landlord', 'chemistry'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

function cards(): DatasetCard[] {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: N }, (_, i) => {
    const category = CATEGORIES[i % CATEGORIES.length]!;
    const tags = [pick(WORDS), pick(WORDS), category];
    return {
      dataset_id: `ds-${i}`,
      name: `${category[0]!.toUpperCase()}${category.slice(1)} suite ${i}`,
      description: `Topic-${i}: probes ${tags[0]} and ${tags[1]} behaviour with ${Math.floor(r() * 900) + 100} adversarial conversations.`,
      category, size: 100 + i, format: 'jsonl', license: pick(['CC-BY-4.0', 'MIT', 'Apache-2.0']), tags,
      quality_score: Math.round(r() * 1000) / 1000,
    };
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number): string => `${x.toFixed(2)} ms`;

/** Sequential requests for latency, bounded in count and time. */
async function latency(urls: string[], count: number, budgetMs: number): Promise<{ times: number[]; results: number }> {
  const times: number[] = [];
  let results = 0;
  const end = performance.now() + budgetMs;
  for (let i = 0; i < count && performance.now() < end; i++) {
    const t = performance.now();
    const res = await fetch(urls[i % urls.length]!);
    const body = (await res.json()) as unknown[];
    times.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    results += Array.isArray(body) ? body.length : 0;
  }
  return { times, results };
}

/** Requests per second with a few requests in flight, bounded in count and time. */
async function throughput(urls: string[], inFlight: number, count: number, budgetMs: number): Promise<number> {
  let sent = 0;
  let done = 0;
  const start = performance.now();
  const end = start + budgetMs;
  const worker = async (): Promise<void> => {
    while (sent < count && performance.now() < end) {
      const u = urls[sent++ % urls.length]!;
      const res = await fetch(u);
      await res.arrayBuffer();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / ((performance.now() - start) / 1000);
}

async function startServer(registry: string): Promise<{ url: string; stop: () => void }> {
  const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  // The server runs in its own process, as `awb registry serve` does, so client and server do not share a thread.
  const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src', 'cli', 'main.ts'), 'registry', 'serve', '--registry', registry, '--port', '0', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('server did not start in 30 s')), 30_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b;
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) { clearTimeout(timer); ok(m[1]!); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}`)); });
  });
  return { url, stop: () => { child.kill('SIGTERM'); } };
}

function cliWall(args: string[], env: NodeJS.ProcessEnv, runs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
    out.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`awb ${args.join(' ')} failed: ${r.stderr}`);
  }
  return out;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'awb-bench-registry-'));
  const path = join(dir, 'registry.sqlite');
  try {
    let t = performance.now();
    const reg = new LocalRegistry(path);
    await reg.register(cards().map((card) => ({ card })));
    await reg.close();
    console.log(`registered ${N} datasets in one write: ${ms(performance.now() - t)} (file ${(statSync(path).size / 1024 / 1024).toFixed(1)} MB)`);

    const server = await startServer(path);
    try {
      const q = (s: string): string => `${server.url}/api/datasets?${s}`;
      const typical = [
        q('query=topic-4242'), // one match
        q('query=JAILBREAK&category=harmlessness&min_quality=0.8'),
        q('category=Honesty&min_quality=0.9'),
        q('query=landlord&sort=downloads&limit=20'),
        q('query=' + encodeURIComponent('(no match).*')),
      ];
      await latency([...typical, `${server.url}/healthz`], 200, 10_000); // warm-up
      const base = await latency([`${server.url}/healthz`], 1000, 5_000);
      const search = await latency(typical, 2000, 15_000);
      const all = await latency([q('')], 20, 5_000);
      const rps = await throughput(typical, 8, 4000, 8_000);
      console.log(`HTTP search over ${N} datasets (${search.times.length} sequential requests, ${(search.results / search.times.length).toFixed(0)} listings per answer on average):`);
      console.log(`  p50 ${ms(pct(search.times, 50))}  p95 ${ms(pct(search.times, 95))}  (target p95 < 10 ms)`);
      console.log(`  baseline GET /healthz: p50 ${ms(pct(base.times, 50))}  p95 ${ms(pct(base.times, 95))}; search/healthz p95 ratio ${(pct(search.times, 95) / pct(base.times, 95)).toFixed(2)}x`);
      console.log(`  throughput, 8 requests in flight: ${rps.toFixed(0)} req/s`);
      console.log(`  worst case, empty query returning all ${N} listings (${all.times.length} requests): p50 ${ms(pct(all.times, 50))}  p95 ${ms(pct(all.times, 95))}`);
    } finally {
      server.stop();
    }

    if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
      const b = spawnSync(process.execPath, [join(ROOT, 'esbuild.mjs')], { cwd: ROOT, stdio: 'inherit' });
      if (b.status !== 0) throw new Error('esbuild.mjs failed');
    }
    const env = { AWB_REGISTRY: path };
    cliWall(['--version'], env, 2);
    const version = cliWall(['--version'], env, 7);
    t = performance.now();
    const cli = cliWall(['registry', 'search', '--query', 'topic-4242'], env, 7);
    const broad = cliWall(['registry', 'search', '--category', 'honesty', '--min-quality', '0.9'], env, 5);
    console.log(`CLI (dist/cli.js) cold start to output, search over ${N} datasets: median ${ms(pct(cli, 50))}, max ${ms(Math.max(...cli))} of ${cli.length} runs (target < 300 ms)`);
    console.log(`  category + min quality (about 125 lines out): median ${ms(pct(broad, 50))}`);
    console.log(`  baseline awb --version: median ${ms(pct(version, 50))}; search costs ${(pct(cli, 50) - pct(version, 50)).toFixed(0)} ms over it (${(pct(cli, 50) / pct(version, 50)).toFixed(2)}x)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
