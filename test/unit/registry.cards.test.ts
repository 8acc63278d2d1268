import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateFile } from '../../src/core';
import { loadCardFile, sha256File, validateCardText } from '../../src/core/registry';

const FIX = join(__dirname, 'fixtures', 'registry');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'awb-reg-'));

test('a valid card loads with its data hash and absolute paths', async () => {
  const r = await loadCardFile(join(FIX, 'helpful.dataset.yaml'));
  assert.ok(r.ok);
  assert.equal(r.input.card.dataset_id, 'helpful-v1');
  assert.equal(r.input.dataPath, join(FIX, 'helpful.cases.jsonl'));
  assert.equal(r.input.cardPath, join(FIX, 'helpful.dataset.yaml'));
  assert.equal(r.input.sha256, await sha256File(join(FIX, 'helpful.cases.jsonl')));
});

test('registration reports exactly what `awb validate` reports, positions included', async () => {
  for (const name of ['invalid.dataset.yaml', 'size-mismatch.dataset.yaml', 'missing-data.dataset.json']) {
    const file = join(FIX, name);
    const r = await loadCardFile(file);
    assert.equal(r.ok, false, name);
    assert.deepEqual(r.diagnostics, await validateFile(file), name);
    assert.ok(r.diagnostics.length > 0);
  }
  const sizes = await loadCardFile(join(FIX, 'size-mismatch.dataset.yaml'), { displayName: 'cards/size.yaml' });
  assert.deepEqual(sizes.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.rule}: ${d.message}`), [
    'cards/size.yaml:5:7 size-mismatch: size is 5 but helpful.cases.jsonl has 2 cases',
  ]);
});

test('a card file with any name (seed 002: my-dataset.yaml) is validated as a card', async () => {
  const dir = tmp();
  copyFileSync(join(FIX, 'helpful.cases.jsonl'), join(dir, 'helpful.cases.jsonl'));
  copyFileSync(join(FIX, 'helpful.dataset.yaml'), join(dir, 'my-dataset.yaml'));
  const ok = await loadCardFile(join(dir, 'my-dataset.yaml'));
  assert.ok(ok.ok);
  writeFileSync(join(dir, 'bad.yaml'), 'dataset_id: x\nname: X\n');
  const bad = await loadCardFile(join(dir, 'bad.yaml'));
  assert.equal(bad.ok, false);
  assert.ok(bad.diagnostics.some((d) => d.rule === 'missing-field' && /"quality_score"/.test(d.message)));
  const missing = await loadCardFile(join(dir, 'nope.yaml'), { displayName: 'nope.yaml' });
  assert.deepEqual(missing.diagnostics.map((d) => `${d.file} ${d.message}`), ['nope.yaml file not found']);
});

test('a card sent over HTTP is checked with the same messages and positions, never touching files', () => {
  const text = '{\n  "dataset_id": "x",\n  "name": "",\n  "description": "d",\n  "category": "c",\n  "size": 1,\n  "format": "jsonl",\n  "license": "MIT",\n  "quality_score": 7,\n  "path": "/etc/passwd"\n}';
  const r = validateCardText(text, JSON.parse(text));
  assert.equal(r.input, undefined);
  assert.deepEqual(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`), [
    '3:11 empty-value "name" must not be empty',
    '9:20 out-of-range "quality_score" is 7: expected number to be <=1',
  ]);
  assert.deepEqual(r.paths, [['name'], ['quality_score']]);
  const fixed = JSON.parse(text);
  fixed.name = 'X';
  fixed.quality_score = 0.5;
  const ok = validateCardText(JSON.stringify(fixed), fixed);
  assert.equal(ok.input?.card.path, '/etc/passwd', 'kept as metadata');
  assert.equal(ok.input?.dataPath, null, 'but never used as a file');
  assert.equal(ok.input?.sha256, null);
});

test('seed 002 clients send null for absent optional fields; data_sha256 is taken out of the card', () => {
  const body = { dataset_id: 'x', name: 'X', description: 'd', category: 'c', size: 1, format: 'jsonl', license: 'MIT', tags: [], quality_score: 0.5, download_url: null, data_sha256: 'ab'.repeat(32) };
  const r = validateCardText(JSON.stringify(body), body);
  assert.ok(r.input);
  assert.equal('download_url' in r.input.card, false);
  assert.equal('data_sha256' in r.input.card, false);
  assert.equal(r.input.sha256, 'ab'.repeat(32));
  const bad = { ...body, data_sha256: 'xyz' };
  assert.match(validateCardText(JSON.stringify(bad), bad).diagnostics[0]!.message, /data_sha256/);
  assert.match(validateCardText('[1]', [1]).diagnostics[0]!.message, /must be a JSON object/);
});
