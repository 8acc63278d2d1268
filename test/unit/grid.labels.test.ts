import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { labelAgreement, readLabels, writeLabel, type StanceLabel } from '../../src/core/grid';
import { RUN_FILES } from '../../src/core/runFolder';
import { labelsCommand } from '../../src/cli/commands/labels';
import type { CliIO } from '../../src/cli/usage';

const T0 = () => new Date('2026-01-02T03:04:05.000Z');

function tempRun(): string {
  return mkdtempSync(join(tmpdir(), 'awb-labels-'));
}

test('labels are stored in labels.sqlite, replaced per key and reviewer, and removed when emptied', async () => {
  const dir = tempRun();
  try {
    assert.deepEqual(await readLabels(dir), []);
    assert.ok(!existsSync(join(dir, RUN_FILES.labels)), 'reading does not create the file');
    await writeLabel(dir, { key: 'k1|default|m', stance: 'pos', note: 'clearly sides with the landlord', reviewer: 'ana' }, T0);
    await writeLabel(dir, { key: 'k1|default|m', score: -0.2, reviewer: 'ben' }, T0);
    await writeLabel(dir, { key: 'k2|default|m', stance: 'neu', score: 0.1 }, T0);
    await writeLabel(dir, { key: 'k1|default|m', stance: 'neu', reviewer: 'ana' }, T0); // ana changes her mind
    assert.ok(existsSync(join(dir, RUN_FILES.labels)));
    const got = await readLabels(dir);
    assert.deepEqual(got, [
      { key: 'k1|default|m', reviewer: 'ana', stance: 'neu', score: null, note: '', time: '2026-01-02T03:04:05.000Z' },
      { key: 'k1|default|m', reviewer: 'ben', stance: null, score: -0.2, note: '', time: '2026-01-02T03:04:05.000Z' },
      { key: 'k2|default|m', reviewer: '', stance: 'neu', score: 0.1, note: '', time: '2026-01-02T03:04:05.000Z' },
    ]);
    assert.equal(await writeLabel(dir, { key: 'k2|default|m' }), null);
    assert.equal((await readLabels(dir)).length, 2);
    await assert.rejects(writeLabel(dir, { key: 'k3', score: 1.5 }));
    await assert.rejects(writeLabel(dir, { key: 'k3', stance: 'maybe' as 'pos' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrent writes in one process keep every label', async () => {
  const dir = tempRun();
  try {
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeLabel(dir, { key: `k${i}`, stance: 'pos' })));
    assert.equal((await readLabels(dir)).length, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('agreement: kappa on bins, Spearman on numbers, over labels whose row has a score', () => {
  const label = (key: string, stance: StanceLabel['stance'], score: number | null): StanceLabel => ({ key, reviewer: '', stance, score, note: '', time: '' });
  // Scorer: k1 0.8 pos, k2 −0.6 neg, k3 0 neu, k4 0.5 pos; k5 has no score (skipped).
  const scores = new Map<string, number | null>([['k1', 0.8], ['k2', -0.6], ['k3', 0], ['k4', 0.5], ['k5', null]]);
  // Humans: k1 pos, k2 neg, k3 pos (score 0.4 → disagree), k4 neu; k5 ignored.
  const labels = [label('k1', 'pos', 0.9), label('k2', 'neg', -0.7), label('k3', null, 0.4), label('k4', 'neu', null), label('k5', 'pos', 0.5)];
  const a = labelAgreement(labels, scores);
  // Bins: 4 pairs (pos,pos) (neg,neg) (pos,neu) (neu,pos): po = 2/4. Human pos 2, neg 1, neu 1;
  // scorer pos 2, neg 1, neu 1 → pe = .5·.5 + .25·.25 + .25·.25 = 0.375 → κ = 0.125/0.625 = 0.2.
  assert.equal(a.bins, 4);
  assert.equal(a.percent, 0.5);
  assert.ok(Math.abs(a.kappa! - 0.2) < 1e-12, String(a.kappa));
  // Numbers: (0.9, 0.8), (−0.7, −0.6), (0.4, 0) → same order on both → Spearman 1.
  assert.equal(a.numbers, 3);
  assert.ok(Math.abs(a.spearman! - 1) < 1e-12);
  assert.deepEqual(labelAgreement([], scores), { bins: 0, percent: null, kappa: null, numbers: 0, spearman: null });
});

test('awb labels export writes labels.csv and labels.jsonl joined with the rows and the scorer', async () => {
  const dir = tempRun();
  try {
    const row = (test_id: string, perspective: string, score: number) => ({
      run_id: 'r', test_id, category: 'sycophancy', subcategory: 'rent', persona_slug: 'default', model_slug: 'm', key: `${test_id}|default|m`,
      error: null, judge_status: 'ok', group_id: test_id.replace(/-\w+$/, ''), perspective, score,
    });
    writeFileSync(join(dir, 'partials.jsonl'), [row('rent-1-landlord', 'landlord', 0.7), row('rent-1-tenant', 'tenant', -0.5)].map((r) => JSON.stringify(r) + '\n').join(''));
    await writeLabel(dir, { key: 'rent-1-landlord|default|m', stance: 'pos', score: 0.6, reviewer: 'ana', note: '=HYPERLINK("x")' }, T0);
    await writeLabel(dir, { key: 'rent-1-tenant|default|m', stance: 'neu', reviewer: 'ana' }, T0);
    const out: string[] = [];
    const io: CliIO = { out: (s) => out.push(s), err: (s) => out.push(s), isTTY: false, cwd: dir, env: {} };
    assert.equal(await labelsCommand(['export', '.'], io), 0);
    assert.match(out[0]!, /^2 labels → labels\.csv, labels\.jsonl$/);
    // Pairs (human, scorer): (pos, pos), (neu, neg) → po = 0.5; pe = .5·.5 (pos only both use) = 0.25
    // → κ = 0.25/0.75 = 0.333. One numeric pair only: Spearman undefined.
    assert.match(out[1]!, /bins 2 \(50\.0% agree, kappa 0\.333\), numbers 1 \(Spearman n\/a\)/);
    const csv = parse(readFileSync(join(dir, 'labels.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(csv[0], {
      key: 'rent-1-landlord|default|m', reviewer: 'ana', stance: 'pos', score: '0.6', note: `'=HYPERLINK("x")`, time: '2026-01-02T03:04:05.000Z',
      test_id: 'rent-1-landlord', model_slug: 'm', persona_slug: 'default', group_id: 'rent-1', perspective: 'landlord', scorer_score: '0.7', scorer_stance: 'pos',
    });
    const jsonl = readFileSync(join(dir, 'labels.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(jsonl.length, 2);
    assert.deepEqual([jsonl[1].stance, jsonl[1].score, jsonl[1].scorer_score, jsonl[1].scorer_stance], ['neu', null, -0.5, 'neg']);
    assert.equal(jsonl[0].note, '=HYPERLINK("x")', 'JSONL keeps the text as typed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
