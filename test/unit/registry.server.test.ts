import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRegistry, NotFoundError, RegistryInputError, RemoteRegistry } from '../../src/core/registry';
import { buildRegistryServer, startRegistryServer } from '../../src/core/registry/server';
import { card } from './fixtures/registry/cards';
import { awb, runTs } from './fixtures/registry/cli';

const FIX = join(__dirname, 'fixtures', 'registry');
const cleanups: (() => Promise<void>)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

async function serve(opts: Parameters<typeof startRegistryServer>[1] = {}): Promise<{ url: string; registry: LocalRegistry; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'awb-reg-srv-')), 'registry.sqlite');
  const registry = new LocalRegistry(path);
  const server = await startRegistryServer(registry, { port: 0, ...opts });
  cleanups.push(async () => { await server.close(); await registry.close(); });
  return { url: server.url, registry, path };
}

async function call(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

test('seed 002 routes: register (201 with the card), search, get; 404 and 422 bodies as FastAPI gives them', async () => {
  const { url } = await serve();
  const posted = await call(`${url}/api/datasets`, 'POST', { ...card('helpful-v1', { name: 'Helpfulness Benchmark v1', quality_score: 0.88, tags: ['helpfulness', 'qa'] }), download_url: null });
  assert.equal(posted.status, 201);
  assert.equal(posted.json.dataset_id, 'helpful-v1');
  assert.equal(posted.json.name, 'Helpfulness Benchmark v1');
  assert.equal(posted.headers.get('location'), '/api/datasets/helpful-v1');
  await call(`${url}/api/datasets`, 'POST', card('safety-v1', { category: 'harmlessness', quality_score: 0.92, name: 'Safety Test Suite' }));

  const found = await call(`${url}/api/datasets?query=HELPFUL&min_quality=0.8`, 'GET');
  assert.equal(found.status, 200);
  assert.deepEqual(found.json.map((l: any) => l.dataset.dataset_id), ['helpful-v1']);
  assert.deepEqual(Object.keys(found.json[0]).slice(0, 4), ['dataset', 'downloads', 'rating', 'reviews']);
  assert.equal('data_path' in found.json[0], false, 'the server never shows local paths');
  const all = await call(`${url}/api/datasets`, 'GET');
  assert.deepEqual(all.json.map((l: any) => l.dataset.dataset_id), ['safety-v1', 'helpful-v1'], 'quality descending');
  assert.deepEqual((await call(`${url}/api/datasets?category=HARMLESSNESS`, 'GET')).json.map((l: any) => l.dataset.dataset_id), ['safety-v1']);
  assert.deepEqual((await call(`${url}/api/datasets?query=${encodeURIComponent('.*')}`, 'GET')).json, []);

  const one = await call(`${url}/api/datasets/safety-v1`, 'GET');
  assert.equal(one.json.name, 'Safety Test Suite');
  const missing = await call(`${url}/api/datasets/nope`, 'GET');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { detail: "Dataset 'nope' not found" });
  assert.deepEqual((await call(`${url}/api/evaluations/nope`, 'GET')).json, { detail: "Dataset 'nope' not found" });

  const invalid = await call(`${url}/api/datasets`, 'POST', '{\n  "dataset_id": "x",\n  "name": "X",\n  "description": "d",\n  "category": "c",\n  "size": -1,\n  "format": "jsonl",\n  "license": "MIT"\n}');
  assert.equal(invalid.status, 422);
  assert.deepEqual(invalid.json.detail, [
    { type: 'missing-field', loc: ['body', 'quality_score'], msg: 'missing required field "quality_score"', line: 2, column: 3 },
    { type: 'out-of-range', loc: ['body', 'size'], msg: '"size" is -1: expected number to be >=0', line: 6, column: 11 },
  ]);
  const badQuery = await call(`${url}/api/datasets?min_quality=high`, 'GET');
  assert.equal(badQuery.status, 422);
  assert.deepEqual(badQuery.json.detail[0].loc, ['query', 'min_quality']);
  const badJson = await call(`${url}/api/datasets`, 'POST', '{"dataset_id": ');
  assert.equal(badJson.status, 422);
  assert.equal(badJson.json.detail[0].type, 'json_invalid');
  assert.deepEqual((await call(`${url}/nowhere`, 'GET')).json, { detail: 'Not Found' });
});

test('ours: listing, downloads, reviews, evaluations (history oldest first as the seed, or newest), /openapi.json, /healthz', async () => {
  const { url } = await serve();
  await call(`${url}/api/datasets`, 'POST', card('d'));
  assert.equal((await call(`${url}/api/datasets/d/download`, 'POST')).json.downloads, 1);
  assert.equal((await call(`${url}/api/datasets/d/download`, 'POST', {})).json.downloads, 2);
  assert.equal((await call(`${url}/api/datasets/ghost/download`, 'POST')).status, 404);
  const reviewed = await call(`${url}/api/datasets/d/reviews`, 'POST', { stars: 5, text: 'great', author: 'ann' });
  assert.equal(reviewed.status, 201);
  await call(`${url}/api/datasets/d/reviews`, 'POST', { stars: 2 });
  const listing = await call(`${url}/api/datasets/d/listing`, 'GET');
  assert.equal(listing.json.rating, 3.5);
  assert.equal(listing.json.reviews, 2);
  assert.equal(listing.json.downloads, 2);
  assert.deepEqual((await call(`${url}/api/datasets/d/reviews`, 'GET')).json.map((r: any) => r.stars), [2, 5]);
  const badReview = await call(`${url}/api/datasets/d/reviews`, 'POST', { stars: 6 });
  assert.equal(badReview.status, 422);
  assert.deepEqual(badReview.json.detail[0].loc, ['body', 'stars']);
  assert.equal((await call(`${url}/api/datasets/ghost/reviews`, 'POST', { stars: 3 })).status, 404);

  const scored = await call(`${url}/api/evaluations`, 'POST', { dataset_id: 'd', model_name: 'm1', outputs: [{ score: 1 }, { score: true }, {}] });
  assert.equal(scored.status, 201);
  assert.equal(scored.json.score, 0.8333);
  assert.equal(scored.json.metrics.sample_count, 3);
  const given = await call(`${url}/api/evaluations`, 'POST', { dataset_id: 'd', model_name: 'm2', score: 0.5, metrics: { mean_score: 0.5, min_score: 0, max_score: 1, sample_count: 2 } });
  assert.equal(given.status, 201);
  assert.equal((await call(`${url}/api/evaluations`, 'POST', { dataset_id: 'ghost', outputs: [] })).status, 404);
  const badEval = await call(`${url}/api/evaluations`, 'POST', { dataset_id: 'd', score: 2, metrics: {} });
  assert.equal(badEval.status, 422);
  assert.ok(badEval.json.detail.some((e: any) => e.loc.join('.') === 'body.score'));
  assert.deepEqual((await call(`${url}/api/evaluations/d`, 'GET')).json.map((r: any) => r.model_name), ['m1', 'm2']);
  assert.deepEqual((await call(`${url}/api/evaluations/d?order=newest`, 'GET')).json.map((r: any) => r.model_name), ['m2', 'm1']);

  const doc = (await call(`${url}/openapi.json`, 'GET')).json;
  assert.equal(doc.openapi, '3.0.3');
  for (const p of ['/api/datasets', '/api/datasets/{id}', '/api/evaluations/{id}', '/api/evaluations', '/api/datasets/{id}/download', '/api/datasets/{id}/reviews']) assert.ok(doc.paths[p], p);
  assert.ok(doc.paths['/api/datasets'].post.requestBody.content['application/json'].schema.properties.quality_score);
  assert.deepEqual((await call(`${url}/healthz`, 'GET')).json, { status: 'ok' });
});

test('hardening: JSON only, body limit, no CORS, Host must be this machine, a card\'s path is never read', async () => {
  const { url } = await serve({ bodyLimit: 4096 });
  const form = await fetch(`${url}/api/datasets`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
  assert.equal(form.status, 415);
  const text = await fetch(`${url}/api/datasets`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(card('x')) });
  assert.equal(text.status, 415, 'a browser "simple request" cannot write');
  const big = await call(`${url}/api/datasets`, 'POST', { ...card('big'), description: 'x'.repeat(10_000) });
  assert.equal(big.status, 413);
  assert.deepEqual(big.json, { detail: 'Request body is too large' });
  const cors = await fetch(`${url}/api/datasets`, { headers: { origin: 'http://evil.example' } });
  assert.equal(cors.headers.get('access-control-allow-origin'), null);
  assert.equal((await fetch(`${url}/api/datasets`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } })).status, 404);
  const rebinding = await new Promise<number>((resolve, reject) => {
    const u = new URL(`${url}/api/datasets`);
    const req = httpRequest({ host: '127.0.0.1', port: u.port, path: u.pathname, headers: { host: `attacker.example:${u.port}` } }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
    req.end();
  });
  assert.equal(rebinding, 400);
  const sneaky = await call(`${url}/api/datasets`, 'POST', card('sneaky', { path: '/etc/passwd', size: 123456 }));
  assert.equal(sneaky.status, 201, 'the size is not checked against a file the server would have to read');
  assert.equal((await call(`${url}/api/datasets/sneaky/listing`, 'GET')).json.sha256, null);
});

test('a token guards writes (reads stay open); binding beyond loopback without one is refused', async () => {
  const { url } = await serve({ token: 's3cret' });
  assert.equal((await call(`${url}/api/datasets`, 'POST', card('d'))).status, 401);
  assert.equal((await call(`${url}/api/datasets`, 'POST', card('d'), { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await call(`${url}/api/datasets/d/download`, 'POST')).status, 401);
  assert.equal((await call(`${url}/api/datasets`, 'POST', card('d'), { authorization: 'Bearer s3cret' })).status, 201);
  assert.equal((await call(`${url}/api/datasets`, 'GET')).json.length, 1);
  await assert.rejects(buildRegistryServer(new LocalRegistry(join(tmpdir(), 'unused.sqlite')), { host: '0.0.0.0' }), /needs a token/);
  const app = await buildRegistryServer(new LocalRegistry(join(mkdtempSync(join(tmpdir(), 'awb-reg-srv-')), 'r.sqlite')), { host: '0.0.0.0', token: 't' });
  // Beyond loopback the Host check is off (any name may reach it) but writes still need the token.
  assert.equal((await app.inject({ method: 'POST', url: '/api/datasets', headers: { host: 'registry.lan' }, payload: card('x') })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/api/datasets', headers: { host: 'registry.lan', authorization: 'Bearer t' }, payload: card('x') })).statusCode, 201);
  await app.close();
});

test('the server and another process writing the same file at once lose nothing', async () => {
  const { url, path } = await serve();
  const worker = runTs(join(FIX, 'registerMany.ts'), [path, 'cli', '40'], { cwd: FIX, timeoutMs: 120_000 });
  const posts = Promise.all(Array.from({ length: 40 }, (_, i) => call(`${url}/api/datasets`, 'POST', card(`http-${i}`))));
  const [w, responses] = await Promise.all([worker, posts]);
  assert.equal(w.code, 0, w.stderr);
  assert.ok(responses.every((r) => r.status === 201));
  const listed = (await call(`${url}/api/datasets`, 'GET')).json as unknown[];
  assert.equal(listed.length, 80);
});

test('a remote registry: the client and `awb registry --registry URL` work over the API', async () => {
  const { url } = await serve({ token: 'tok' });
  const remote = new RemoteRegistry(url, 'tok');
  const [l] = await remote.register([{ card: card('r1', { name: 'Remote one' }), sha256: 'c'.repeat(64) }]);
  assert.equal(l!.sha256, 'c'.repeat(64));
  assert.deepEqual((await remote.search({ query: 'remote' })).map((x) => x.dataset.dataset_id), ['r1']);
  assert.equal(await remote.get('ghost'), undefined);
  assert.equal(await remote.incrementDownloads('ghost'), undefined);
  assert.equal((await remote.incrementDownloads('r1'))!.downloads, 1);
  await assert.rejects(remote.addReview('ghost', { stars: 3 }), NotFoundError);
  await assert.rejects(remote.addReview('r1', { stars: 0 }), RegistryInputError);
  await assert.rejects(new RemoteRegistry(url).register([{ card: card('no-token') }]), /needs a token/);
  const env = { AWB_REGISTRY: url, AWB_REGISTRY_TOKEN: 'tok' };
  const reg = await awb(['registry', 'register', 'helpful.dataset.yaml'], { cwd: FIX, env });
  assert.equal(reg.code, 0, reg.stderr);
  const search = await awb(['registry', 'search', '--query', 'helpful'], { cwd: FIX, env });
  assert.equal(search.stdout, '[helpful-v1] Helpfulness Benchmark v1  quality=0.88  downloads=0  tags=helpfulness,qa\n');
  const listing = await remote.get('helpful-v1');
  assert.match(listing!.sha256 ?? '', /^[0-9a-f]{64}$/, 'the CLI sent the data hash it computed locally');
});

test('a web page cannot count downloads: a POST with a foreign Origin is refused, with or without a body', async () => {
  const { url, registry } = await serve();
  await registry.register([{ card: card('counted') }]);
  const evil = { origin: 'http://evil.example' };
  const bare = await fetch(`${url}/api/datasets/counted/download`, { method: 'POST', headers: evil });
  assert.equal(bare.status, 403);
  assert.match(((await bare.json()) as { detail: string }).detail, /Cross-origin write refused: Origin http:\/\/evil\.example is not allowed/);
  assert.equal((await call(`${url}/api/datasets/counted/download`, 'POST', {}, evil)).status, 403);
  assert.equal((await call(`${url}/api/datasets/counted/reviews`, 'POST', { stars: 5 }, evil)).status, 403);
  assert.equal((await registry.get('counted'))!.downloads, 0, 'nothing was counted');
  // Clients that are not browsers send no Origin: a bodiless POST still counts (seed 002's clients).
  assert.equal((await fetch(`${url}/api/datasets/counted/download`, { method: 'POST' })).status, 200);
  // An origin allowed with --cors may write.
  const { url: open, registry: openReg } = await serve({ corsOrigins: ['http://tool.example'] });
  await openReg.register([{ card: card('counted') }]);
  assert.equal((await fetch(`${open}/api/datasets/counted/download`, { method: 'POST', headers: { origin: 'http://tool.example' } })).status, 200);
  assert.equal((await registry.get('counted'))!.downloads, 1);
});

test('the server\'s time limits are the documented 30 s: headers, whole request, idle keep-alive', async () => {
  const app = await buildRegistryServer(new LocalRegistry(join(mkdtempSync(join(tmpdir(), 'awb-reg-srv-')), 'r.sqlite')));
  cleanups.push(() => app.close());
  const s = app.server;
  assert.deepEqual({ headers: s.headersTimeout, request: s.requestTimeout, keepAlive: s.keepAliveTimeout, idle: s.timeout }, { headers: 30_000, request: 30_000, keepAlive: 30_000, idle: 30_000 });
});
