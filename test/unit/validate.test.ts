import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseYaml, validateFile, validateText, JsonlDocumentValidator, type Diagnostic } from '../../src/core';
import { main } from '../../src/cli/main';

const FIX = join(__dirname, 'fixtures', 'validate');
const at = (ds: Diagnostic[]) => ds.map((d) => `${d.line}:${d.column} ${d.rule}`);

test('every planted JSONL error is reported at its exact line and column', async () => {
  const ds = await validateFile(join(FIX, 'planted.cases.jsonl'));
  assert.deepEqual(at(ds), [
    '2:85 json-syntax', // the trailing comma: the `}` where a property name was expected
    '4:1 missing-field', // expected_safe_behavior missing: the object's opening brace
    '5:7 duplicate-id', // the id value
    '6:22 wrong-type', // category is a number
    '6:48 unknown-role', // "bot"
    '6:143 unknown-placeholder', // {{foo}}
    '7:1 not-an-object', // [1,2]
    '8:26 empty-conversation',
  ]);
  const dup = ds.find((d) => d.rule === 'duplicate-id')!;
  assert.match(dup.message, /first used on line 1/);
  assert.match(ds.find((d) => d.rule === 'missing-field')!.message, /expected_safe_behavior/);
  // The placeholder range covers exactly `{{foo}}`.
  const ph = ds.find((d) => d.rule === 'unknown-placeholder')!;
  const line6 = readFileSync(join(FIX, 'planted.cases.jsonl'), 'utf8').split('\n')[5]!;
  assert.equal(line6.slice(ph.column - 1, ph.endColumn - 1), '{{foo}}');
  // A schema error covers the property value, not the whole line.
  const wt = ds.find((d) => d.rule === 'wrong-type')!;
  assert.equal(line6.slice(wt.column - 1, wt.endColumn - 1), '5');
});

test('a file with a BOM, CRLF line endings and a blank line is valid', async () => {
  assert.deepEqual(await validateFile(join(FIX, 'bom-crlf.cases.jsonl')), []);
});

test('invalid UTF-8 is an error at its line, column and byte offset; the rest is still checked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-'));
  const file = join(dir, 'latin1.cases.jsonl');
  const good = '{"id":"a","category":"s","conversation":"hi","expected_safe_behavior":"r"}\n';
  writeFileSync(file, Buffer.concat([Buffer.from(good), Buffer.from('{"id":"b","category":"caf'), Buffer.from([0xe9]), Buffer.from('","conversation":"x","expected_safe_behavior":"r"}\n'), Buffer.from(good)]));
  const ds = await validateFile(file);
  assert.deepEqual(at(ds), ['2:26 encoding', '3:7 duplicate-id']);
  assert.match(ds[0]!.message, new RegExp(`byte ${good.length + 25}`));
});

test('a multibyte character split across read chunks decodes correctly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-'));
  const file = join(dir, 'big.cases.jsonl');
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 2.5 * 1024 * 1024; i++) {
    const l = JSON.stringify({ id: `c${i}`, category: 'é🙂', conversation: 'naïve 🙂 '.repeat(1 + (i % 7)), expected_safe_behavior: 'ok' });
    lines.push(l);
    size += Buffer.byteLength(l) + 1;
  }
  writeFileSync(file, lines.join('\n') + '\n');
  // Every line is valid: a character cut in two by a chunk boundary would be an encoding error.
  assert.deepEqual(await validateFile(file), []);
});

test('a line over 10 MB is rejected without loading it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-'));
  const file = join(dir, 'long.cases.jsonl');
  const good = '{"id":"a","category":"s","conversation":"hi","expected_safe_behavior":"r"}\n';
  writeFileSync(file, good + '{"id":"x","conversation":"' + 'a'.repeat(11 * 1024 * 1024) + '"}\n' + good.replace('"a"', '"b"'));
  const ds = await validateFile(file);
  assert.deepEqual(at(ds), ['2:1 line-too-long']);
});

test('YAML cases: missing field, wrong type and duplicate id, each at its node', async () => {
  const ds = await validateFile(join(FIX, 'planted.cases.yaml'));
  assert.deepEqual(at(ds), ['5:3 missing-field', '11:13 wrong-type']);
  // The duplicate is found once the schema errors are fixed.
  const fixed = readFileSync(join(FIX, 'planted.cases.yaml'), 'utf8')
    .replace('      content: hi\n', '      content: hi\n  expected_safe_behavior: refuse\n')
    .replace('[not, a, string]', 'safety');
  const ds2 = await validateText(join(FIX, 'planted.cases.yaml'), fixed);
  assert.deepEqual(at(ds2), ['11:7 duplicate-id']);
  assert.match(ds2[0]!.message, /first used on line 1/);
});

test('an alias bomb fails fast with a clear error', async () => {
  const started = Date.now();
  const ds = await validateFile(join(FIX, 'bomb.cases.yaml'));
  assert.equal(ds[0]?.rule, 'alias-bomb');
  assert.ok(Date.now() - started < 5000);
});

test('a card whose size disagrees with its data, and one whose data is missing', async () => {
  const ds = await validateFile(join(FIX, 'wrong-size.dataset.yaml'));
  assert.deepEqual(at(ds), ['5:7 size-mismatch']);
  assert.match(ds[0]!.message, /size is 5 but two.cases.jsonl has 2 cases/);
  const ds2 = await validateFile(join(FIX, 'missing-data.dataset.json'));
  assert.deepEqual(at(ds2), ['9:20 out-of-range']);
  const fixed = readFileSync(join(FIX, 'missing-data.dataset.json'), 'utf8').replace('1.5', '0.5');
  const ds3 = await validateText(join(FIX, 'missing-data.dataset.json'), fixed);
  assert.deepEqual(at(ds3), ['10:11 missing-data']);
});

test('a persona slug that no personas file defines is an error in the bench file', async () => {
  const ds = await validateFile(join(FIX, 'unknown-persona.bench.yaml'));
  assert.deepEqual(at(ds), ['6:5 unknown-persona']);
  assert.match(ds[0]!.message, /evil_twin/);
});

test('re-validating after one edit gives the same result as validating from scratch', () => {
  const text = readFileSync(join(FIX, 'planted.cases.jsonl'), 'utf8');
  const v = new JsonlDocumentValidator('f.cases.jsonl');
  v.setText(text);
  v.validate();
  // Fix the trailing comma on line 2 (0-based line 1).
  const line = text.split('\n')[1]!;
  const comma = line.lastIndexOf(',');
  v.applyChange(1, comma, 1, comma + 1, '');
  const incremental = v.validate();
  const fresh = new JsonlDocumentValidator('f.cases.jsonl');
  fresh.setText(text.replace('"refuse",}', '"refuse"}'));
  assert.deepEqual(incremental, fresh.validate());
  assert.ok(!incremental.some((d) => d.line === 2));
  // A multi-line insertion shifts the following lines.
  v.applyChange(0, 0, 0, 0, '\n\n');
  assert.deepEqual(at(v.validate()).slice(0, 2), ['6:1 missing-field', '7:7 duplicate-id']);
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s), isTTY: false, cwd: FIX, env: {} } };
}

test('awb validate prints FILE:LINE:COL lines and a count, exit 1 on errors, 0 when clean, 2 on usage', async () => {
  const a = io();
  assert.equal(await main(['validate', 'planted.cases.jsonl', 'bom-crlf.cases.jsonl'], a.io), 1);
  assert.equal(a.out[0], 'planted.cases.jsonl:2:85: error: JSON syntax: expected a property name in double quotes (is there a trailing comma?) [json-syntax]');
  assert.equal(a.out.at(-1), '2 files checked: 8 errors, 0 warnings');
  const b = io();
  assert.equal(await main(['validate', 'bom-crlf.cases.jsonl', 'two.cases.jsonl'], b.io), 0);
  const c = io();
  assert.equal(await main(['validate'], c.io), 2);
  assert.match(c.err.join('\n'), /needs at least one PATH/);
  const d = io();
  assert.equal(await main(['validate', '--format', 'xml', 'two.cases.jsonl'], d.io), 2);
  const e = io();
  assert.equal(await main(['validate', '*.cases.jsonl', '--format', 'json'], e.io), 1);
  const json = JSON.parse(e.out.join('\n')) as Record<string, unknown>[];
  assert.deepEqual(Object.keys(json[0]!).sort(), ['column', 'endColumn', 'endLine', 'file', 'line', 'message', 'rule', 'severity']);
  assert.ok(json.every((x) => x.file === 'planted.cases.jsonl'));
});

test('a missing file is an error naming it', async () => {
  const a = io();
  assert.equal(await main(['validate', 'nope.cases.jsonl'], a.io), 1);
  assert.match(a.out[0]!, /^nope.cases.jsonl:1:1: error: file not found \[missing-file\]/);
});

test('a line over 10 MB reports its whole length in bytes, however many reads it spans', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-'));
  const file = join(dir, 'long.cases.jsonl');
  const good = '{"id":"a","category":"s","conversation":"hi","expected_safe_behavior":"r"}\n';
  const long = '{"id":"x","conversation":"' + 'a'.repeat(25 * 1024 * 1024 + 7) + '"}';
  writeFileSync(file, good + long + '\n' + good.replace('"a"', '"b"') + long);
  const ds = await validateFile(file);
  assert.deepEqual(at(ds), ['2:1 line-too-long', '4:1 line-too-long']);
  for (const d of ds) assert.equal(d.message, `line is ${Buffer.byteLength(long)} bytes, over the 10 MB limit for one case`);
});

test('a key given twice in one JSON object is an error at the second one', async () => {
  const line = '{"id":"a","category":"s","conversation":"hi","category":"t","expected_safe_behavior":"r","metadata":{"k":1,"k":2}}';
  const ds = await validateText('/x/dup.cases.jsonl', `${line}\n{"id":"b","category":"s","conversation":"say \\"x\\": and \\"y\\":","expected_safe_behavior":"r"}\n`);
  assert.deepEqual(at(ds), ['1:46 duplicate-key', '1:108 duplicate-key']);
  assert.equal(line.slice(ds[0]!.column - 1, ds[0]!.endColumn - 1), '"category"');
  assert.match(ds[0]!.message, /duplicate key "category" in one object: only the last value would be used/);
  assert.equal(line.slice(ds[1]!.column - 1, ds[1]!.endColumn - 1), '"k"');
});

test('YAML with thousands of anchors and aliases is refused before parsing, whatever kind they are', () => {
  let y = 'a:\n';
  for (let i = 0; i < 10_000; i++) y += `  k${i}: &a${i} v\n`;
  y += 'b:\n';
  for (let i = 0; i < 10_000; i++) y += `  - *a${i}\n`;
  const r = parseYaml('/x/anchors.cases.yaml', y);
  assert.equal(r.value, undefined);
  assert.deepEqual(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.rule}`), ['1:1 too-many-anchors']);
  assert.match(r.diagnostics[0]!.message, /20000 anchors and aliases \(&name, \*name\), over the limit of 1000/);
  // `*` and `&` inside quoted text are not anchors: a long file of such text still parses.
  let text = '';
  for (let i = 0; i < 2000; i++) text += `- id: c${i}\n  note: "an *emphasis* & more, don't [stop"\n`;
  const ok = parseYaml('/x/text.cases.yaml', text);
  assert.deepEqual(ok.diagnostics, []);
  assert.equal((ok.value as unknown[]).length, 2000);
});

test('YAML nested deeper than 64 levels is an error at the line, also through block nesting and aliases', () => {
  let block = '';
  for (let i = 0; i < 70; i++) block += `${' '.repeat(i)}k:\n`;
  const r = parseYaml('/x/deep.cases.yaml', block + ' '.repeat(70) + '1\n');
  assert.deepEqual(r.diagnostics.map((d) => `${d.line} ${d.rule}`), ['65 too-deep']);
  let aliased = 'a0: &a0 [[[[[[[[[[1]]]]]]]]]]\n';
  for (let i = 1; i < 8; i++) aliased += `a${i}: &a${i} [[[[[[[[[[*a${i - 1}]]]]]]]]]]\n`;
  const viaAliases = parseYaml('/x/aliases.cases.yaml', aliased);
  assert.deepEqual(viaAliases.diagnostics.map((d) => d.rule), ['too-deep']);
});
