import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRegistry } from '../../src/core/registry';
import { awb, runTs } from './fixtures/registry/cli';

const FIX = join(__dirname, 'fixtures', 'registry');

/** A workspace with the helpful card and its data, and a registry path of its own. */
function workspace(): { dir: string; env: NodeJS.ProcessEnv; registry: string } {
  const dir = mkdtempSync(join(tmpdir(), 'awb-reg-cli-'));
  for (const f of ['helpful.dataset.yaml', 'helpful.cases.jsonl', 'invalid.dataset.yaml']) copyFileSync(join(FIX, f), join(dir, f));
  const registry = join(dir, 'home', 'registry.sqlite');
  return { dir, registry, env: { AWB_REGISTRY: registry, AWB_REGISTRY_TOKEN: '' } };
}

test('register then search in separate processes finds the dataset, in the seed\'s line format', async () => {
  const w = workspace();
  const reg = await awb(['registry', 'register', '--config', 'helpful.dataset.yaml'], { cwd: w.dir, env: w.env });
  assert.equal(reg.code, 0, reg.stderr);
  assert.match(reg.stdout, /^Registered \[helpful-v1\] Helpfulness Benchmark v1 {2}quality=0\.88 {2}sha256=[0-9a-f]{12}$/m);
  const found = await awb(['registry', 'search', '--query', 'helpfulness', '--min-quality', '0.8'], { cwd: w.dir, env: w.env });
  assert.equal(found.code, 0, found.stderr);
  assert.equal(found.stdout, '[helpful-v1] Helpfulness Benchmark v1  quality=0.88  downloads=0  tags=helpfulness,qa\n');
  const none = await awb(['registry', 'search', '--category', 'harmlessness'], { cwd: w.dir, env: w.env });
  assert.equal(none.stdout, 'No datasets found matching your criteria.\n');
  const json = await awb(['registry', 'search', '--format', 'json'], { cwd: w.dir, env: w.env });
  const listings = JSON.parse(json.stdout) as Record<string, unknown>[];
  assert.deepEqual(Object.keys(listings[0]!).slice(0, 4), ['dataset', 'downloads', 'rating', 'reviews']);
  assert.equal((listings[0]!.dataset as { quality_score: number }).quality_score, 0.88);
});

test('a missing or invalid config fails with exit 1 and names the file, line and field; no config is a usage error', async () => {
  const w = workspace();
  const missing = await awb(['registry', 'register', '--config', 'nope.yaml'], { cwd: w.dir, env: w.env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^nope\.yaml:1:1: error: file not found \[missing-file\]$/m);
  const invalid = await awb(['registry', 'register', '--config', 'invalid.dataset.yaml', '--config', 'helpful.dataset.yaml'], { cwd: w.dir, env: w.env });
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /^invalid\.dataset\.yaml:8:16: error: "quality_score" is 1\.5: expected number to be <=1 \[out-of-range\]$/m);
  assert.match(invalid.stderr, /1 of 2 cards invalid; nothing registered/);
  assert.equal(existsSync(w.registry), false, 'all or nothing: the valid card was not registered either');
  const usage = await awb(['registry', 'register'], { cwd: w.dir, env: w.env });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /needs --config FILE/);
  const badFlag = await awb(['registry', 'search', '--min-quality', 'high'], { cwd: w.dir, env: w.env });
  assert.equal(badFlag.code, 2);
  const unknown = await awb(['registry', 'show', 'ghost'], { cwd: w.dir, env: w.env });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Dataset 'ghost' not found/);
});

test('get copies the data, verifies its sha256, writes a card beside it and counts the download; changed data is refused', async () => {
  const w = workspace();
  assert.equal((await awb(['registry', 'register', 'helpful.dataset.yaml'], { cwd: w.dir, env: w.env })).code, 0);
  const got = await awb(['registry', 'get', 'helpful-v1', '--to', 'fetched', '--format', 'json'], { cwd: w.dir, env: w.env });
  assert.equal(got.code, 0, got.stderr);
  const info = JSON.parse(got.stdout) as { file: string; verified: boolean; downloads: number; card: string };
  assert.equal(info.verified, true);
  assert.equal(info.downloads, 1);
  assert.equal(info.file, join(w.dir, 'fetched', 'helpful.cases.jsonl'));
  const check = await awb(['validate', info.card], { cwd: w.dir, env: w.env });
  assert.equal(check.code, 0, `the written card validates against the fetched data: ${check.stdout}`);
  appendFileSync(join(w.dir, 'helpful.cases.jsonl'), '{"id":"h3","category":"x","conversation":"hi","expected_safe_behavior":"ok"}\n');
  const tampered = await awb(['registry', 'get', 'helpful-v1', '--to', 'again'], { cwd: w.dir, env: w.env });
  assert.equal(tampered.code, 1);
  assert.match(tampered.stderr, /sha256 mismatch for 'helpful-v1'/);
  assert.deepEqual(readdirSync(join(w.dir, 'again')), [], 'nothing left behind');
  const reg = new LocalRegistry(w.registry);
  assert.equal((await reg.get('helpful-v1'))!.downloads, 1, 'a refused fetch is not a download');
  await reg.close();
});

test('rate, evaluate (default, field and module scorers) and results, newest first', async () => {
  const w = workspace();
  await awb(['registry', 'register', 'helpful.dataset.yaml'], { cwd: w.dir, env: w.env });
  const rated = await awb(['registry', 'rate', 'helpful-v1', '--stars', '4', '--review', 'solid'], { cwd: w.dir, env: w.env });
  assert.equal(rated.stdout, '[helpful-v1] rating=4.00  reviews=1\n');
  assert.equal((await awb(['registry', 'rate', 'helpful-v1', '--stars', '9'], { cwd: w.dir, env: w.env })).code, 2);
  writeFileSync(join(w.dir, 'outs.json'), JSON.stringify([{ score: 0.95, helpful: true }, { score: 0.87 }, { score: 0.91 }]));
  writeFileSync(join(w.dir, 'partials.jsonl'), '{"overall":0.5}\n{"overall":1}\n');
  writeFileSync(join(w.dir, 'helpful.mjs'), 'export default (o) => (o.helpful === true ? 1 : 0);\n');
  const e1 = await awb(['registry', 'evaluate', 'helpful-v1', '--outputs', 'outs.json', '--model', 'my-model-v2', '--format', 'json'], { cwd: w.dir, env: w.env });
  assert.equal(e1.code, 0, e1.stderr);
  assert.equal((JSON.parse(e1.stdout) as { score: number }).score, 0.91);
  const e2 = await awb(['registry', 'evaluate', 'helpful-v1', '--outputs', 'partials.jsonl', '--scorer', 'overall', '--format', 'json'], { cwd: w.dir, env: w.env });
  assert.equal((JSON.parse(e2.stdout) as { score: number }).score, 0.75);
  const e3 = await awb(['registry', 'evaluate', 'helpful-v1', '--outputs', 'outs.json', '--scorer', './helpful.mjs', '--model', 'm3', '--format', 'json'], { cwd: w.dir, env: w.env });
  assert.equal((JSON.parse(e3.stdout) as { score: number }).score, 0.3333);
  const ghost = await awb(['registry', 'evaluate', 'ghost', '--outputs', 'outs.json'], { cwd: w.dir, env: w.env });
  assert.equal(ghost.code, 1);
  assert.match(ghost.stderr, /Dataset 'ghost' not found/);
  const history = await awb(['registry', 'results', 'helpful-v1'], { cwd: w.dir, env: w.env });
  const models = history.stdout.trim().split('\n').map((l) => /model=(\S+)/.exec(l)![1]);
  assert.deepEqual(models, ['m3', 'unknown', 'my-model-v2']);
});

test('two processes registering 100 cards each at once end with 200 cards; two writing the same 100 ids end with 100', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-reg-race-'));
  const path = join(dir, 'registry.sqlite');
  const worker = join(FIX, 'registerMany.ts');
  const [a, b] = await Promise.all([
    runTs(worker, [path, 'a', '100'], { cwd: dir, timeoutMs: 120_000 }),
    runTs(worker, [path, 'b', '100'], { cwd: dir, timeoutMs: 120_000 }),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const reg = new LocalRegistry(path);
  const all = await reg.search();
  assert.equal(all.length, 200);
  assert.equal(all.filter((l) => l.dataset.dataset_id.startsWith('a-')).length, 100);
  await reg.close();

  const path2 = join(dir, 'same.sqlite');
  const [c, d] = await Promise.all([
    runTs(worker, [path2, 'card', '100'], { cwd: dir, timeoutMs: 120_000 }),
    runTs(worker, [path2, 'card', '100'], { cwd: dir, timeoutMs: 120_000 }),
  ]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(d.code, 0, d.stderr);
  const reg2 = new LocalRegistry(path2);
  assert.equal((await reg2.search()).length, 100);
  await reg2.close();
});
