// The Grid tab's labelling controls in a real DOM (jsdom): what a click sends, what is shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import type { ViewRow } from '../../src/shared/results/types';

const dom = new JSDOM('<!doctype html><body></body>');
Object.assign(globalThis, { document: dom.window.document, getComputedStyle: dom.window.getComputedStyle.bind(dom.window), HTMLElement: dom.window.HTMLElement });

function row(key: string, perspective: string, score: number, stance: 'neg' | 'neu' | 'pos'): ViewRow {
  return {
    key, test_id: key.split('|')[0]!, category: 'c', subcategory: 's', persona: 'p', model: 'm', attack_success: null, overall: null, safety: null,
    error: null, error_kind: null, judge_status: 'ok', answer: `<img src=x onerror=alert(1)> ${perspective}`, latency_ms: 1, attempts: 1,
    judge_attempts: 1, completed_at: 't', group_id: 'g-1', perspective, score, stance,
  } as ViewRow;
}

test('group view: neg/neu/pos and a -1..1 score send labels; agreement shows once labels exist', async () => {
  const { GridView } = await import('../../webview/grid');
  const sent: unknown[] = [];
  const g = new GridView((l) => sent.push(l));
  const rows = [row('a|p|m', 'landlord', 0.5, 'pos'), row('b|p|m', 'tenant', -0.5, 'neg')];
  g.render(null, rows, ['m']);
  assert.equal(g.root.querySelector('.label-agreement'), null, 'no labels, no agreement table');
  assert.equal(g.root.querySelectorAll('img').length, 0, 'answers are text');
  const boxes = g.root.querySelectorAll('.stance-label');
  assert.equal(boxes.length, 2);
  const buttons = (i: number) => [...boxes[i]!.querySelectorAll('vscode-button')] as HTMLElement[];
  buttons(0).find((b) => b.textContent === 'pos')!.click();
  assert.deepEqual(sent.at(-1), { key: 'a|p|m', stance: 'pos', score: null, note: '' });

  const score = boxes[1]!.querySelector('.label-score') as unknown as { value: string };
  score.value = '2';
  buttons(1).find((b) => b.textContent === 'Save')!.click();
  assert.equal(sent.length, 1, 'an out-of-range score is not sent');
  assert.match(boxes[1]!.textContent!, /from -1 to 1/);
  score.value = '-0.4';
  (boxes[1]!.querySelector('.label-note') as unknown as { value: string }).value = 'leans tenant';
  buttons(1).find((b) => b.textContent === 'Save')!.click();
  assert.deepEqual(sent.at(-1), { key: 'b|p|m', stance: null, score: -0.4, note: 'leans tenant' });

  g.setLabels([{ key: 'a|p|m', reviewer: '', stance: 'pos', score: null, note: '', time: 't' }], { bins: 1, percent: 1, kappa: null, numbers: 0, spearman: null });
  g.render(null, rows, ['m']);
  const cells = [...g.root.querySelectorAll('.label-agreement td')].map((td) => td.textContent);
  assert.deepEqual(cells, ['1', '1', '100.0%', '—', '0', '—']);
  assert.match(g.root.querySelectorAll('.stance-label')[0]!.textContent!, /Your label: pos/);
});
