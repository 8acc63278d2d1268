import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFetchError, LocalRegistry, NotFoundError, fetchDataset, safeFileName } from '../../src/core/registry';
import { dataFileName } from '../../src/core/registry/fetchData';
import { card } from './fixtures/registry/cards';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'awb-reg-fetch-'));
const DATA = '{"id":"a"}\n{"id":"b"}\n';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

// A data host on 127.0.0.1: /data.jsonl serves `body`, anything else is 404.
let body = DATA;
const server = createServer((req, res) => {
  if (req.url === '/files/data.jsonl') { res.writeHead(200, { 'content-type': 'application/x-ndjson' }); res.end(body); return; }
  res.writeHead(404).end('no');
});
const base = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
after(() => new Promise<void>((r) => server.close(() => r())));

test('the data file is named by us: id and format, never a name the workbench reads as configuration', () => {
  const named = (dataset_id: string, format: string) => dataFileName({ dataset: card(dataset_id, { format }) });
  assert.equal(named('helpful-v1', 'jsonl'), 'helpful-v1.cases.jsonl');
  assert.equal(named('models', 'yaml'), 'models.cases.yaml');
  assert.equal(named('personas', 'YML'), 'personas.cases.yaml');
  assert.equal(named('x', 'parquet'), 'x.parquet');
  assert.equal(named('x.dataset', 'json'), 'x.dataset.data.json', 'not a card name');
  assert.equal(named('a', '../../etc/passwd'), 'a.etcpasswd');
  assert.equal(named('a', ''), 'a.data');
});

test('file names from cards and URLs never leave the target folder', () => {
  assert.equal(safeFileName('../../etc/passwd', 'x'), 'passwd');
  assert.equal(safeFileName('..\\..\\win.ini', 'x'), 'win.ini');
  assert.equal(safeFileName('a b;rm -rf.jsonl', 'x'), 'a_b_rm_-rf.jsonl');
  assert.equal(safeFileName('..', 'fallback'), 'fallback');
  assert.equal(safeFileName('.hidden', 'x'), 'hidden');
});

test('get downloads from download_url, verifies the sha256, counts the download; a changed file is refused', async () => {
  const url = `${await base}/files/data.jsonl`;
  const dir = tmp();
  const reg = new LocalRegistry(join(dir, 'r.sqlite'));
  await reg.register([{ card: card('remote-data', { download_url: url, path: '../../escape.jsonl', size: 2 }), sha256: sha(DATA) }]);
  const got = await fetchDataset(reg, 'remote-data', { toDir: join(dir, 'out') });
  assert.equal(got.file, join(dir, 'out', 'remote-data.cases.jsonl'), 'named by its id and format, never by the card\'s path or the URL');
  assert.equal(readFileSync(got.file, 'utf8'), DATA);
  assert.equal(got.verified, true);
  assert.equal(got.source, url);
  assert.equal(got.listing.downloads, 1);
  const written = JSON.parse(readFileSync(got.cardFile, 'utf8')) as { path: string; dataset_id: string };
  assert.equal(written.path, 'remote-data.cases.jsonl');

  body = DATA + '{"id":"c"}\n';
  await assert.rejects(fetchDataset(reg, 'remote-data', { toDir: join(dir, 'other') }), (e: unknown) => e instanceof DataFetchError && /sha256 mismatch/.test(e.message));
  assert.deepEqual(readdirSync(join(dir, 'other')), [], 'no partial file left');
  assert.equal((await reg.get('remote-data'))!.downloads, 1);

  // Without a recorded hash nothing can be verified, and a different file already there is kept unless forced.
  await reg.register([{ card: card('unverified', { download_url: url }) }]);
  writeFileSync(join(dir, 'out', 'unverified.cases.jsonl'), 'mine\n');
  await assert.rejects(fetchDataset(reg, 'unverified', { toDir: join(dir, 'out') }), /already exists with other contents; pass --force/);
  assert.equal(readFileSync(join(dir, 'out', 'unverified.cases.jsonl'), 'utf8'), 'mine\n');
  const forced = await fetchDataset(reg, 'unverified', { toDir: join(dir, 'out'), force: true });
  assert.equal(forced.verified, false);
  assert.equal(readFileSync(forced.file, 'utf8'), body);
  body = DATA;
  await reg.close();
});

test('get: unknown id, no data source, HTTP errors', async () => {
  const dir = tmp();
  const reg = new LocalRegistry(join(dir, 'r.sqlite'));
  await reg.register([
    { card: card('nothing') },
    { card: card('gone', { download_url: `${await base}/files/missing.jsonl` }) },
  ]);
  await assert.rejects(fetchDataset(reg, 'ghost', { toDir: dir }), NotFoundError);
  await assert.rejects(fetchDataset(reg, 'nothing', { toDir: dir }), /no data here: its card names no local path on this machine and no download_url/);
  await assert.rejects(fetchDataset(reg, 'gone', { toDir: join(dir, 'x') }), /HTTP 404/);
  assert.deepEqual(readdirSync(join(dir, 'x')), [], 'nothing left behind');
  await reg.close();
});
