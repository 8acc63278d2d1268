// The results table sizes its columns to their content: a long persona or subcategory is shown
// whole, an empty Error column takes only its header's width, the answer gets the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS, fitColumns } from '../../webview/table';
import type { ViewRow } from '../../src/shared/results/types';

const measure = (s: string) => s.length * 7;

function row(i: number, extra: Partial<ViewRow> = {}): ViewRow {
  return {
    key: `k${i}`, test_id: `wpn-${i}`, category: 'safety', subcategory: 'chemical-weapons-synthesis', persona: 'developer_mode_dan', model: 'gpt-4.1-mini',
    attack_success: false, overall: 0.9, safety: 0.9, error: null, error_kind: null, judge_status: 'ok', answer: 'No.', latency_ms: 1,
    attempts: 1, judge_attempts: 1, completed_at: '', group_id: null, perspective: null, score: null, stance: null, ...extra,
  };
}

function widths(template: string): Record<string, string> {
  const parts = template.match(/minmax\([^)]*\)|\S+/g)!;
  return Object.fromEntries(COLUMNS.map((c, i) => [c.id, parts[i]!]));
}

test('columns fit their longest value; empty columns shrink to their header; the answer takes the rest', () => {
  const rows = Array.from({ length: 50 }, (_, i) => row(i));
  const w = widths(fitColumns(rows, new Map(), measure).template);
  const px = (id: string) => Number(/^(\d+)px$/.exec(w[id]!)![1]);
  assert.ok(px('subcategory') >= measure('chemical-weapons-synthesis'), `subcategory ${w.subcategory} shows its value whole`);
  assert.ok(px('persona') >= measure('developer_mode_dan'), `persona ${w.persona}`);
  assert.ok(px('error') < px('subcategory') && px('error') <= measure('Error') + 30, `an empty Error column is narrow: ${w.error}`);
  assert.match(w.answer!, /1fr/);

  const withErrors = [...rows, row(99, { error: 'judge answered prose twice', error_kind: 'judge' })];
  const w2 = widths(fitColumns(withErrors, new Map(), measure).template);
  assert.ok(Number(/\d+/.exec(w2.error!)![0]) >= measure('judge: judge answered prose twice'), `an error widens its column: ${w2.error}`);
});

test('a very long value is capped, not given the whole table', () => {
  const w = widths(fitColumns([row(1, { subcategory: 'x'.repeat(500) })], new Map(), measure).template);
  assert.ok(Number(/\d+/.exec(w.subcategory!)![0]) <= 220);
});
