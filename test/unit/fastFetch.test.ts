import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFastFetch } from '../../src/core/providers/fastFetch';

test('fast fetch: status, headers and body as fetch gives them; an abort rejects with AbortError', async (t) => {
  const seen: { method?: string; auth?: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.push({ method: req.method, auth: req.headers.authorization, body });
      if (req.url === '/empty') { res.writeHead(204); res.end(); return; }
      if (req.url === '/hang') return; // never answers
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ error: { code: 'rate_limit', echo: body } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const f = createFastFetch();

  const res = await f(`${base}/v1/chat`, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' }, body: '{"x":"é"}' });
  assert.equal(res.status, 429);
  assert.equal(res.ok, false);
  assert.equal(res.headers.get('retry-after'), '7');
  assert.equal(res.headers.get('set-cookie'), 'a=1, b=2');
  assert.deepEqual(await res.json(), { error: { code: 'rate_limit', echo: '{"x":"é"}' } });
  assert.deepEqual(seen[0], { method: 'POST', auth: 'Bearer k', body: '{"x":"é"}' });

  const empty = await f(`${base}/empty`);
  assert.equal(empty.status, 204);
  assert.equal(empty.body, null);

  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(f(`${base}/hang`, { method: 'POST', body: '{}', signal: controller.signal }), (err: Error) => err.name === 'AbortError');
});

test('fast fetch: the buffered response reads like a fetch Response (once, clone, stream, BOM)', async (t) => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req_1' });
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"ü"}')]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const f = createFastFetch();

  const res = await f(`${base}/x`, { method: 'post', headers: new Headers({ 'content-type': 'application/json' }), body: '{}' });
  assert.equal(res.ok, true);
  assert.equal(res.statusText, 'OK');
  assert.equal(res.url, `${base}/x`);
  assert.equal(res.headers.get('x-request-id'), 'req_1');
  const copy = res.clone();
  assert.deepEqual(await res.json(), { a: 'ü' });
  assert.equal(res.bodyUsed, true);
  await assert.rejects(res.text(), TypeError);
  assert.equal(await copy.text(), '{"a":"ü"}');

  const streamed = await f(`${base}/x`);
  const chunks: Uint8Array[] = [];
  for await (const c of streamed.body as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  assert.equal(Buffer.concat(chunks).subarray(3).toString('utf8'), '{"a":"ü"}');
});

test('fast fetch: a refused connection and a response cut short reject; keep-alive sockets are reused', async (t) => {
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/cut') { res.writeHead(200, { 'content-length': '100' }); res.write('{"partial":'); setTimeout(() => res.socket?.destroy(), 20); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const port = (server.address() as AddressInfo).port;
  const f = createFastFetch();
  for (let i = 0; i < 5; i++) assert.deepEqual(await (await f(`http://127.0.0.1:${port}/ok`, { method: 'POST', body: '{}' })).json(), {});
  assert.equal(connections, 1, 'sequential calls share one keep-alive connection');
  await assert.rejects(f(`http://127.0.0.1:${port}/cut`), (err: Error) => err.name !== 'AbortError' && /closed|aborted|reset/i.test(err.message));
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(f(`http://127.0.0.1:${closedPort}/x`), (err: Error & { code?: string }) => err.code === 'ECONNREFUSED');
  await assert.rejects(f('ftp://127.0.0.1/x'), TypeError);
});

test('fast fetch: an idle socket closes before the server\'s keep-alive hint runs out; the idle timeout never cuts a slow answer', async (t) => {
  let closedAfterMs: number | undefined;
  let answeredAt = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const reply = () => { answeredAt = performance.now(); res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'); };
      if (req.url === '/slow') setTimeout(reply, 800); else reply();
    });
  });
  server.keepAliveTimeout = 2_000; // sends "Keep-Alive: timeout=2"
  server.on('connection', (s) => s.on('close', () => { closedAfterMs ??= performance.now() - answeredAt; }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const f = createFastFetch();
  assert.equal((await f(`${base}/fast`)).status, 200);
  await new Promise((r) => setTimeout(r, 1_500));
  assert.ok(closedAfterMs !== undefined && closedAfterMs < 1_900, `the client closed the idle socket ${closedAfterMs} ms after the answer, before the server's 2 s`);

  // Agents whose idle timeout (300 ms) is shorter than the answer (800 ms): the answer still arrives.
  const { Agent } = await import('node:http');
  const { Agent: TlsAgent } = await import('node:https');
  const short = createFastFetch({ http: new Agent({ keepAlive: true, timeout: 300 }), https: new TlsAgent({ keepAlive: true, timeout: 300 }) });
  assert.deepEqual(await (await short(`${base}/slow`)).json(), { ok: true });
});
