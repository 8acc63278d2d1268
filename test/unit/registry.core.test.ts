import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRegistry, NotFoundError, RegistryFile, RegistryInputError, RegistryStorageError, renameWithRetry } from '../../src/core/registry';
import type { DatasetCard } from '../../src/core/schemas/card';
import { card } from './fixtures/registry/cards';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'awb-reg-'));
const ids = (ls: { dataset: DatasetCard }[]): string[] => ls.map((l) => l.dataset.dataset_id);

test('register creates a listing; re-registering replaces the card and keeps downloads, rating and reviews', async () => {
  const reg = new LocalRegistry(join(tmp(), 'r.sqlite'));
  const [first] = await reg.register([{ card: card('helpful-v1', { name: 'Helpfulness v1', quality_score: 0.88 }) }]);
  assert.equal(first!.downloads, 0);
  assert.equal(first!.rating, 0);
  assert.equal(first!.reviews, 0);
  assert.deepEqual(first!.dataset.tags, ['t']);
  await reg.incrementDownloads('helpful-v1');
  await reg.incrementDownloads('helpful-v1');
  await reg.addReview('helpful-v1', { stars: 5 });
  await reg.addReview('helpful-v1', { stars: 2, text: 'meh' });
  const [again] = await reg.register([{ card: card('helpful-v1', { name: 'Helpfulness v2', quality_score: 0.5 }) }]);
  assert.equal(again!.dataset.name, 'Helpfulness v2');
  assert.equal(again!.dataset.quality_score, 0.5);
  assert.equal(again!.downloads, 2);
  assert.equal(again!.rating, 3.5);
  assert.equal(again!.reviews, 2);
  assert.equal(again!.registered_at, first!.registered_at);
  assert.equal((await reg.search()).length, 1);
  await reg.close();
});

test('a card the schema rejects is never stored', async () => {
  const reg = new LocalRegistry(join(tmp(), 'r.sqlite'));
  await assert.rejects(reg.register([{ card: card('ok'), }, { card: { ...card('bad'), quality_score: 2 } }]));
  assert.equal((await reg.search()).length, 0);
  await reg.close();
});

test('search: literal, case-insensitive text over name + description + tags; an empty query matches all', async () => {
  const reg = new LocalRegistry(join(tmp(), 'r.sqlite'));
  await reg.register([
    { card: card('a', { name: 'Refusal (strict)', description: 'Checks refusals', tags: ['safety'] }) },
    { card: card('b', { name: 'Honesty', description: 'Does it lie? a.b test', tags: ['TruthFul'] }) },
    { card: card('c', { name: 'Ünïcode ÉTUDE', description: 'accents', tags: [] }) },
  ]);
  assert.deepEqual(ids(await reg.search({ query: '' })).sort(), ['a', 'b', 'c']);
  assert.deepEqual(ids(await reg.search({ query: 'REFUSAL' })), ['a']);
  assert.deepEqual(ids(await reg.search({ query: 'truthful' })), ['b'], 'tags are searched, case-insensitively');
  assert.deepEqual(ids(await reg.search({ query: '(strict)' })), ['a'], 'regex metacharacters are plain text');
  assert.deepEqual(ids(await reg.search({ query: 'a.b' })), ['b']);
  assert.deepEqual(ids(await reg.search({ query: 'a+b' })), [], '"+" is not a quantifier');
  assert.deepEqual(ids(await reg.search({ query: '.*' })), [], '".*" matches only the text ".*"');
  assert.deepEqual(ids(await reg.search({ query: '[' })), [], 'an invalid pattern is not an error');
  assert.deepEqual(ids(await reg.search({ query: 'étude' })), ['c'], 'non-ASCII letters fold too');
  assert.deepEqual(ids(await reg.search({ query: 'strict) Checks' })), ['a'], 'fields are joined by a space, as in the seed');
  await reg.close();
});

test('search: category is exact and case-insensitive; min quality is inclusive; default sort quality, downloads, id', async () => {
  const reg = new LocalRegistry(join(tmp(), 'r.sqlite'));
  await reg.register([
    { card: card('z-low', { category: 'Harmlessness', quality_score: 0.5 }) },
    { card: card('m-high', { category: 'harmlessness', quality_score: 0.9 }) },
    { card: card('b-tie', { category: 'harmlessness', quality_score: 0.8 }) },
    { card: card('a-tie', { category: 'harmlessness', quality_score: 0.8 }) },
    { card: card('c-tie', { category: 'harmlessness', quality_score: 0.8 }) },
    { card: card('other', { category: 'harmlessness-extra', quality_score: 1 }) },
  ]);
  await reg.incrementDownloads('c-tie');
  assert.deepEqual(ids(await reg.search({ category: 'HARMLESSNESS' })), ['m-high', 'c-tie', 'a-tie', 'b-tie', 'z-low']);
  assert.deepEqual(ids(await reg.search({ category: 'harmless' })), [], 'no partial category match');
  assert.deepEqual(ids(await reg.search({ category: 'harmlessness', min_quality: 0.8 })), ['m-high', 'c-tie', 'a-tie', 'b-tie']);
  assert.deepEqual(ids(await reg.search({ min_quality: 0.95 })), ['other']);
  assert.deepEqual(ids(await reg.search({ category: '' })).length, 6, 'an empty category filters nothing');
  await reg.close();
});

test('search: --sort downloads, rating and name; --limit', async () => {
  const reg = new LocalRegistry(join(tmp(), 'r.sqlite'));
  await reg.register([
    { card: card('x1', { name: 'beta', quality_score: 0.1 }) },
    { card: card('x2', { name: 'Alpha', quality_score: 0.2 }) },
    { card: card('x3', { name: 'gamma', quality_score: 0.3 }) },
  ]);
  for (let i = 0; i < 3; i++) await reg.incrementDownloads('x1');
  await reg.incrementDownloads('x2');
  await reg.addReview('x2', { stars: 5 });
  await reg.addReview('x3', { stars: 4 });
  assert.deepEqual(ids(await reg.search({ sort: 'downloads' })), ['x1', 'x2', 'x3']);
  assert.deepEqual(ids(await reg.search({ sort: 'rating' })), ['x2', 'x3', 'x1']);
  assert.deepEqual(ids(await reg.search({ sort: 'name' })), ['x2', 'x1', 'x3']);
  assert.deepEqual(ids(await reg.search({ sort: 'quality', limit: 2 })), ['x3', 'x2']);
  await reg.close();
});

test('downloads: counting an unknown id is a no-op', async () => {
  const path = join(tmp(), 'r.sqlite');
  const reg = new LocalRegistry(path);
  assert.equal(await reg.incrementDownloads('ghost'), undefined);
  assert.equal(existsSync(path), false, 'nothing was written');
  await reg.register([{ card: card('real') }]);
  assert.equal(await reg.incrementDownloads('ghost'), undefined);
  assert.equal((await reg.get('real'))!.downloads, 0);
  await reg.close();
});

test('reviews: stars must be 1..5 whole numbers; unknown dataset is NotFound; newest first', async () => {
  const reg = new LocalRegistry(join(tmp(), 'r.sqlite'));
  await reg.register([{ card: card('d') }]);
  await assert.rejects(reg.addReview('d', { stars: 0 }), RegistryInputError);
  await assert.rejects(reg.addReview('d', { stars: 6 }), RegistryInputError);
  await assert.rejects(reg.addReview('d', { stars: 4.5 }), RegistryInputError);
  await assert.rejects(reg.addReview('nope', { stars: 4 }), (e: unknown) => e instanceof NotFoundError && e.message === "Dataset 'nope' not found");
  await reg.addReview('d', { stars: 1, author: 'ann' });
  await reg.addReview('d', { stars: 4, text: 'good' });
  const rs = await reg.reviews('d');
  assert.deepEqual(rs.map((r) => r.stars), [4, 1]);
  assert.equal(rs[1]!.author, 'ann');
  assert.equal((await reg.get('d'))!.rating, 2.5);
  await reg.close();
});

test('the registry survives a restart, and a second instance sees another one\'s writes', async () => {
  const path = join(tmp(), 'r.sqlite');
  const a = new LocalRegistry(path);
  const b = new LocalRegistry(path);
  await a.register([{ card: card('one') }]);
  assert.deepEqual(ids(await b.search()), ['one']);
  await b.register([{ card: card('two') }]);
  assert.deepEqual(ids(await a.search({ sort: 'name' })), ['one', 'two']);
  await a.close();
  await b.close();
  const c = new LocalRegistry(path);
  assert.deepEqual(ids(await c.search({ sort: 'name' })), ['one', 'two']);
  await c.close();
});

test('concurrent writes in one process all land', async () => {
  const reg = new LocalRegistry(join(tmp(), 'r.sqlite'));
  await reg.register([{ card: card('d') }]);
  await Promise.all(Array.from({ length: 30 }, () => reg.incrementDownloads('d')));
  assert.equal((await reg.get('d'))!.downloads, 30);
  await reg.close();
});

test('foreign_keys is still on after an export (sql.js export resets pragmas)', async () => {
  const file = new RegistryFile(join(tmp(), 'r.sqlite'));
  await file.write((db) => db.run("INSERT INTO datasets (dataset_id, card, registered_at, updated_at) VALUES ('d', '{}', 't', 't')"));
  const db = await file.read();
  assert.equal(db.exec('PRAGMA foreign_keys')[0]!.values[0]![0], 1);
  await assert.rejects(file.write((d) => d.run("INSERT INTO reviews (dataset_id, stars, created_at) VALUES ('missing', 3, 't')")), /FOREIGN KEY/);
  await file.close();
});

test('a crash before the rename leaves the previous file whole; a stray temp file is ignored', async () => {
  const dir = tmp();
  const path = join(dir, 'r.sqlite');
  const reg = new LocalRegistry(path);
  await reg.register([{ card: card('kept') }]);
  await reg.close();
  // What a process killed between writing its temp file and renaming it leaves behind.
  writeFileSync(`${path}.999.deadbeef.tmp`, 'half-written garbage');
  const again = new LocalRegistry(path);
  assert.deepEqual(ids(await again.search()), ['kept']);
  await again.close();
});

test('a damaged file falls back to the .bak copy; with no usable copy the error says so', async () => {
  const dir = tmp();
  const path = join(dir, 'r.sqlite');
  const reg = new LocalRegistry(path);
  await reg.register([{ card: card('first') }]);
  await reg.register([{ card: card('second') }]);
  await reg.close();
  const bytes = readFileSync(path);
  writeFileSync(path, Buffer.concat([Buffer.from('garbage!'), bytes.subarray(8)]));
  const recovered = new LocalRegistry(path);
  assert.deepEqual(ids(await recovered.search()), ['first'], 'the previous version');
  await recovered.close();
  writeFileSync(path + '.bak', 'also garbage');
  const broken = new LocalRegistry(path);
  await assert.rejects(broken.search(), (e: unknown) => e instanceof RegistryStorageError && /damaged/.test(e.message));
  await broken.close();
});

test('rename retries a transient EPERM/EBUSY and gives up on other errors', async () => {
  let calls = 0;
  await renameWithRetry('a', 'b', async () => { calls++; if (calls < 3) throw Object.assign(new Error('busy'), { code: calls === 1 ? 'EPERM' : 'EBUSY' }); });
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(renameWithRetry('a', 'b', async () => { calls++; throw Object.assign(new Error('nope'), { code: 'ENOSPC' }); }), /nope/);
  assert.equal(calls, 1);
});

test('writes leave no temp files behind', async () => {
  const dir = tmp();
  const reg = new LocalRegistry(join(dir, 'r.sqlite'));
  for (let i = 0; i < 5; i++) await reg.register([{ card: card(`d${i}`) }]);
  await reg.close();
  assert.deepEqual(readdirSync(dir).sort(), ['r.sqlite', 'r.sqlite.bak']);
});

test('a one-shot search (filtered in SQL) and the in-memory index give the same answers', async () => {
  const path = join(tmp(), 'r.sqlite');
  const writer = new LocalRegistry(path);
  const cats = ['Honesty', 'harmlessness', 'ÉTHIQUE'];
  await writer.register(Array.from({ length: 60 }, (_, i) => ({
    card: card(`d${String(i).padStart(2, '0')}`, { name: i % 7 === 0 ? `Straße (${i})` : `Suite ${i}`, description: i % 5 === 0 ? 'a.b+c*' : 'plain', category: cats[i % 3]!, tags: i % 4 === 0 ? ['Jailbreak'] : [], quality_score: (i % 10) / 10 }),
  })));
  for (let i = 0; i < 20; i += 3) await writer.incrementDownloads(`d${String(i).padStart(2, '0')}`);
  await writer.addReview('d03', { stars: 5 });
  await writer.close();
  const queries = [{}, { query: 'STRASSE' }, { query: 'straße' }, { query: 'a.b+c*' }, { query: 'jailbreak', min_quality: 0.5 }, { category: 'éthique' }, { category: 'HONESTY', sort: 'downloads' as const }, { sort: 'rating' as const, limit: 5 }, { sort: 'name' as const, query: '(' }];
  const warm = new LocalRegistry(path);
  await warm.search();
  await warm.search(); // the second search builds the in-memory index
  for (const q of queries) {
    const cold = new LocalRegistry(path);
    assert.deepEqual(await cold.search(q), await warm.search(q), JSON.stringify(q));
    await cold.close();
  }
  await warm.close();
});

test('a page damaged in the middle of the file is caught on read (quick_check) and the .bak is used', async () => {
  const path = join(tmp(), 'r.sqlite');
  const reg = new LocalRegistry(path);
  await reg.register(Array.from({ length: 200 }, (_, i) => ({ card: card(`d${i}`, { description: 'x'.repeat(100) }) })));
  await reg.register([{ card: card('latest') }]);
  await reg.close();
  const bytes = readFileSync(path);
  for (let i = 4096 * 5 + 100; i < 4096 * 5 + 2000; i++) bytes[i] = (i * 7) & 0xff;
  writeFileSync(path, bytes);
  const again = new LocalRegistry(path);
  const all = await again.search();
  assert.equal(all.length, 200, 'the version before the last write');
  assert.equal(all.some((l) => l.dataset.dataset_id === 'latest'), false);
  await again.close();
});
