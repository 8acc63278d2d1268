import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  assert.equal(info.file, join(w.dir, 'fetched', 'helpful-v1.cases.jsonl'), 'named by its id and format, not by the registered file');
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

/**
 * A hostile registry on 127.0.0.1: its listing names a file on this machine as `data_path`, a
 * card `path` of `models.yaml`, and (for `with-url`) a download_url whose file is `models.yaml`.
 */
async function hostileRegistry(localSecret: string): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const listing = (id: string, over: Record<string, unknown>) => ({
    dataset: { dataset_id: id, name: id, description: 'd', category: 'c', size: 1, format: 'yaml', license: 'MIT', tags: [], quality_score: 0.5, path: 'models.yaml', download_url: null, ...over },
    downloads: 0, rating: 0, reviews: 0, sha256: null, registered_at: 't', updated_at: 't', card_path: localSecret, data_path: localSecret,
  });
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const send = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    const m = /^\/api\/datasets\/([^/]+)\/(listing|download)$/.exec(req.url ?? '');
    if (req.url === '/files/models.yaml') { res.writeHead(200); res.end('- id: fetched\n'); return; }
    if (!m) { send(404, { detail: 'Not Found' }); return; }
    const id = decodeURIComponent(m[1]!);
    if (id === 'local-only') { send(200, listing(id, {})); return; }
    if (id === 'with-url') { send(200, listing(id, { download_url: `${base}/files/models.yaml` })); return; }
    if (id === 'bad-card') { send(200, listing(id, { dataset_id: '../escape', quality_score: 7 })); return; }
    send(404, { detail: `Dataset '${id}' not found` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('get from a remote registry never copies a local file it names, and names the written file itself', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-reg-hostile-'));
  const secret = join(dir, 'private', 'models.yaml');
  mkdirSync(join(dir, 'private'));
  writeFileSync(secret, 'SECRET-LOCAL-CONTENT\n');
  const hostile = await hostileRegistry(secret);
  try {
    const env = { AWB_REGISTRY: hostile.url, AWB_REGISTRY_TOKEN: '' };
    const out = join(dir, 'out');
    const local = await awb(['registry', 'get', 'local-only', '--to', 'out'], { cwd: dir, env });
    assert.equal(local.code, 1, local.stderr);
    assert.match(local.stderr, /dataset 'local-only' has no data here: its card names no local path on this machine and no download_url/);
    const fetched = await awb(['registry', 'get', 'with-url', '--to', 'out', '--format', 'json'], { cwd: dir, env });
    assert.equal(fetched.code, 0, fetched.stderr);
    const info = JSON.parse(fetched.stdout) as { file: string; source: string };
    assert.equal(info.file, join(out, 'with-url.cases.yaml'), 'named by us: the dataset id and its format');
    assert.match(info.source, /\/files\/models\.yaml$/, 'downloaded from its download_url, not copied from the local path');
    assert.deepEqual(readdirSync(out).sort(), ['with-url.cases.yaml', 'with-url.dataset.json']);
    assert.equal(readFileSync(join(out, 'with-url.cases.yaml'), 'utf8'), '- id: fetched\n');
    for (const f of readdirSync(out)) assert.doesNotMatch(readFileSync(join(out, f), 'utf8'), /SECRET-LOCAL-CONTENT/, `${f} holds no local file`);
    assert.equal(existsSync(join(dir, 'models.yaml')), false);
    assert.equal(existsSync(join(out, 'models.yaml')), false, 'no models.yaml written');

    // An answer the card schema refuses is not used at all.
    const bad = await awb(['registry', 'get', 'bad-card', '--to', 'bad'], { cwd: dir, env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /registry http:\/\/127\.0\.0\.1:\d+ sent an invalid answer \(dataset\.dataset_id: .*quality_score.*\); nothing from it was used/);
    assert.equal(existsSync(join(dir, 'bad')), false);
    assert.ok(!hostile.hits.includes('POST /api/datasets/bad-card/download'), 'an invalid listing is not counted as a download');
  } finally { await hostile.close(); }
});

test('a card whose path leads outside its folder and the current folder is not registered unless --allow-outside-data', async () => {
  const w = workspace();
  const outside = mkdtempSync(join(tmpdir(), 'awb-reg-outside-'));
  copyFileSync(join(FIX, 'helpful.cases.jsonl'), join(outside, 'data.cases.jsonl'));
  mkdirSync(join(w.dir, 'cards'));
  const text = readFileSync(join(FIX, 'helpful.dataset.yaml'), 'utf8').replace('path: helpful.cases.jsonl', `path: ${join(outside, 'data.cases.jsonl')}`);
  writeFileSync(join(w.dir, 'cards', 'far.dataset.yaml'), text);
  // Inside the current folder (one level up from the card) is fine.
  writeFileSync(join(w.dir, 'cards', 'near.dataset.yaml'), text.replace('helpful-v1', 'near-v1').replace(`path: ${join(outside, 'data.cases.jsonl')}`, 'path: ../helpful.cases.jsonl'));
  const refused = await awb(['registry', 'register', 'cards/far.dataset.yaml'], { cwd: w.dir, env: w.env });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^cards\/far\.dataset\.yaml:12:7: error: "path" leads outside the card's folder and the workspace \(to .*data\.cases\.jsonl\); .*--allow-outside-data \[path-outside\]$/m);
  assert.equal(existsSync(w.registry), false);
  const near = await awb(['registry', 'register', 'cards/near.dataset.yaml'], { cwd: w.dir, env: w.env });
  assert.equal(near.code, 0, near.stderr);
  const allowed = await awb(['registry', 'register', 'cards/far.dataset.yaml', '--allow-outside-data'], { cwd: w.dir, env: w.env });
  assert.equal(allowed.code, 0, allowed.stderr);
});
