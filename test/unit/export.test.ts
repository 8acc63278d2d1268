import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { csvLine, csvLines, escapeFormula } from '../../src/core/export/csv';
import { ROW_GROUP_SIZE } from '../../src/core/export/parquet';
import { buildReport } from '../../src/core/export/report';
import { writeAtomic } from '../../src/core/storage/atomic';
import { PartialsCorruptError } from '../../src/core/runFolder';
import { StateDb } from '../../src/core/runFolder';
import { baseRow } from '../../src/core/run/plan';
import { RESULT_COLUMNS, type ResultRow } from '../../src/core/runFolder';
import { CaseSchema } from '../../src/core/schemas/cases';
import { makeCase, readParquetWithDuckDB, tempDir } from '../support/runnerFixtures';

function row(i: number, over: Partial<ResultRow> = {}): ResultRow {
  const c = CaseSchema.parse(makeCase(i));
  return {
    ...baseRow('r1', { dataset: 'd.cases.jsonl', line: i, case: c }, 'default', 'm', 'm', '2025-01-01T00:00:00.000Z'),
    raw_candidate: `answer ${i}`, judge_status: 'ok', judge_model: 'j', judge_attempts: 1, attempts: 1,
    judge_json: { overall: 0.5, attack_success: false, safety: { score: 0.7, subscores: {} }, note: `n${i}` },
    overall: 0.5, attack_success: false, safety_score: 0.7, ...over,
  };
}

const line = (r: ResultRow) => JSON.stringify(r) + '\n';

describe('CSV formula escaping', () => {
  const cases: [string, string][] = [
    ['=HYPERLINK("http://evil","x")', `'=HYPERLINK("http://evil","x")`],
    ['\u200B=cmd|calc', `'\u200B=cmd|calc`],
    ['  +1+1', `'  +1+1`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tx', `'\tx`],
    ['\rx', `'\rx`],
    ['\uFEFF=1', `'\uFEFF=1`],
    ['plain text = fine', 'plain text = fine'],
    ['', ''],
  ];
  for (const [input, out] of cases) test(JSON.stringify(input), () => assert.equal(escapeFormula(input), out));
});

describe('CSV records in batches', () => {
  test('csvLines is exactly the csvLine records joined, whatever the cells', () => {
    const cells: unknown[][] = [
      ['plain', 'no edge', 'in side'],
      ['a,b', 'q"uote', 'multi\nline', 'cr\r\nlf', ' lead', 'trail ', '=1+1', '\u200B=zw', '', null, undefined, 0.25, -3, true, { a: [1, '"'] }],
      ['ünïcødé ✓ 😀', '\t tab', '@x', 'plain', NaN, Infinity, false],
      [],
      [''],
      ['x', '\u00A0nbsp first', 'y'],
      ['x', 'last\u2028'],
      ['z'],
      [{ k: ' v ' }, ' '],
    ];
    assert.equal(csvLines(cells), cells.map((c) => csvLine(c)).join(''));
    // Records with and without a whitespace-edged cell, in every order.
    for (let i = 0; i < cells.length; i++) {
      const rotated = [...cells.slice(i), ...cells.slice(0, i)];
      assert.equal(csvLines(rotated), rotated.map((c) => csvLine(c)).join(''));
    }
    assert.equal(csvLines([]), '');
  });
});

describe('buildReport', () => {
  test('each key exactly once (last complete row wins), formulas escaped, Parquet read back by DuckDB', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const rows = [
        row(1, { error: '500 boom', raw_candidate: null, judge_status: 'skipped', judge_json: null, overall: null, attack_success: null, safety_score: null }),
        row(2),
        row(1, { raw_candidate: '=HYPERLINK("http://evil")' }),
        row(3, { error: 'timeout', raw_candidate: null, judge_status: 'skipped', judge_json: null, overall: null, attack_success: null, safety_score: null }),
        row(2, { raw_candidate: 'second answer for 2', overall: 0.9 }),
        row(4, { judge_status: 'error', judge_error: 'invalid verdict', judge_json: null, overall: null, attack_success: null, safety_score: null }),
        row(1, { error: 'later failure', raw_candidate: null, judge_status: 'skipped' }),
      ];
      writeFileSync(join(dir, 'partials.jsonl'), rows.map(line).join('') + JSON.stringify(row(5)).slice(0, 40));
      const r = await buildReport(dir);
      assert.equal(r.rows, 4);
      assert.ok(r.tornTail);
      assert.deepEqual(r.counts, { done: 3, errors: 1, judge_errors: 1, judge_pending: 0 });

      const csv = parse(readFileSync(join(dir, 'results.csv')), { columns: true }) as Record<string, string>[];
      assert.deepEqual(Object.keys(csv[0]!), RESULT_COLUMNS.map(String));
      assert.deepEqual(csv.map((x) => x.key).sort(), ['case-00001|default|m', 'case-00002|default|m', 'case-00003|default|m', 'case-00004|default|m']);
      const c1 = csv.find((x) => x.test_id === 'case-00001')!;
      assert.equal(c1.raw_candidate, `'=HYPERLINK("http://evil")`, 'the complete row wins over a later failure, and is escaped');
      assert.equal(csv.find((x) => x.test_id === 'case-00002')!.overall, '0.9', 'the last complete row wins');
      assert.equal(csv.find((x) => x.test_id === 'case-00003')!.error, 'timeout', 'a key that only failed keeps its error row');
      assert.deepEqual(JSON.parse(c1.judge_json!).note, 'n1');

      const pq = await readParquetWithDuckDB(join(dir, 'results.parquet'));
      assert.equal(pq.length, 4);
      assert.deepEqual(pq.map((x) => x.key).sort(), csv.map((x) => x.key).sort());
      const p2 = pq.find((x) => x.test_id === 'case-00002')!;
      assert.equal(p2.overall, 0.9);
      assert.equal(p2.attack_success, false);
      assert.equal(typeof p2.judge_json, 'string');
      assert.equal(JSON.parse(p2.judge_json as string).note, 'n2');
      assert.equal(pq.find((x) => x.test_id === 'case-00003')!.overall, null);

      const summary = parse(readFileSync(join(dir, 'summary.csv')), { columns: true }) as Record<string, string>[];
      const total = summary.reduce((n, s) => n + Number(s.count), 0);
      assert.equal(total, 4);
      assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temp files left');
    } finally {
      cleanup();
    }
  });

  test('more rows than a row group: CSV identical to one record per row, Parquet complete, garbage collected between groups', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const n = ROW_GROUP_SIZE * 2 + 321;
      const rows: ResultRow[] = [];
      for (let i = 1; i <= n; i++) {
        rows.push(i % 97 === 0
          ? row(i, { error: 'boom, "bad"\nline', raw_candidate: null, judge_status: 'skipped', judge_json: null, overall: null, attack_success: null, safety_score: null })
          : row(i, { raw_candidate: i % 5 === 0 ? ` =lead ${i}\n"q"` : `answer ${i}` }));
      }
      writeFileSync(join(dir, 'partials.jsonl'), rows.map(line).join(''));
      let collections = 0;
      const r = await buildReport(dir, { collectGarbage: () => { collections++; } });
      assert.equal(r.rows, n);
      const expected = csvLine(RESULT_COLUMNS as string[]) + rows.map((x) => csvLine(RESULT_COLUMNS.map((c) => (x as Record<string, unknown>)[c]))).join('');
      assert.equal(readFileSync(join(dir, 'results.csv'), 'utf8'), expected);
      assert.ok(collections >= 2, `a collection after each full row group (${collections})`);
      const pq = await readParquetWithDuckDB(join(dir, 'results.parquet'), 'SELECT key, raw_candidate, error FROM read_parquet($p)');
      assert.deepEqual(pq.map((x) => x.key), rows.map((x) => x.key));
      assert.deepEqual(pq.map((x) => x.raw_candidate), rows.map((x) => x.raw_candidate));
      assert.equal(pq.filter((x) => x.error !== null).length, Math.floor(n / 97));
      const groups = await readParquetWithDuckDB(join(dir, 'results.parquet'), 'SELECT DISTINCT row_group_id FROM parquet_metadata($p)');
      assert.equal(groups.length, 3);
    } finally {
      cleanup();
    }
  });

  test('an empty run gives valid empty artifacts', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await buildReport(dir);
      assert.equal(r.rows, 0);
      assert.equal((await readParquetWithDuckDB(join(dir, 'results.parquet'))).length, 0);
      assert.equal(readFileSync(join(dir, 'results.csv'), 'utf8').split('\n')[0], RESULT_COLUMNS.join(','));
    } finally {
      cleanup();
    }
  });

  test('a corrupt line in the middle stops with its line number', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'partials.jsonl'), line(row(1)) + '{"run_id": "r1", "test_id": \n' + line(row(2)));
      await assert.rejects(buildReport(dir), (e: PartialsCorruptError) => e instanceof PartialsCorruptError && e.line === 2 && /partials\.jsonl:2/.test(e.message));
    } finally {
      cleanup();
    }
  });
});

describe('atomic writes and the state DB', () => {
  test('a failed write leaves the old file intact and no temp file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const target = join(dir, 'results.csv');
      writeFileSync(target, 'old');
      await assert.rejects(writeAtomic(target, (fd) => { appendFileSync(fd, 'half'); throw new Error('disk full'); }));
      assert.equal(readFileSync(target, 'utf8'), 'old');
      assert.deepEqual(readdirSync(dir), ['results.csv']);
    } finally {
      cleanup();
    }
  });

  test('state.sqlite: marking many keys at once holds the same keys as marking each (duplicates too), also after an export', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const keys = Array.from({ length: 1234 }, (_, i) => `c${i % 1100}|p|m`);
      const one = await StateDb.open(join(dir, 'one.sqlite'));
      for (const k of keys) one.markDone(k);
      const many = await StateDb.open(join(dir, 'many.sqlite'));
      many.markDoneMany(keys);
      assert.equal(many.count(), 1100);
      assert.deepEqual(many.keys().sort(), one.keys().sort());
      many.checkpoint({ offset: 1, line: 1 });
      many.markDoneMany(['late|p|m', ...keys.slice(0, 600)]);
      assert.ok(many.has('late|p|m'));
      assert.equal(many.count(), 1101);
      one.close();
      many.close();
    } finally {
      cleanup();
    }
  });

  test('state.sqlite: marks survive a checkpoint; statements still work after export; a corrupt file falls back to .bak', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'state.sqlite');
      const db = await StateDb.open(file);
      db.markDone('a|p|m');
      db.checkpoint({ offset: 10, line: 1 });
      db.markDone('b|p|m'); // after export: prepared statements must still work
      assert.ok(db.has('b|p|m'));
      assert.equal(db.journalMode(), 'off', 'pragmas are re-applied after an export');
      db.checkpoint({ offset: 20, line: 2 });
      db.close();
      const again = await StateDb.open(file);
      assert.deepEqual(again.keys().sort(), ['a|p|m', 'b|p|m']);
      assert.deepEqual(again.coverage, { offset: 20, line: 2 });
      again.close();
      writeFileSync(file, 'garbage, not sqlite');
      const recovered = await StateDb.open(file);
      assert.match(recovered.recovered ?? '', /bak/);
      assert.deepEqual(recovered.keys(), ['a|p|m'], 'the previous checkpoint');
      recovered.close();
      assert.ok(existsSync(`${file}.bak`));
    } finally {
      cleanup();
    }
  });
});
