import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NOTE, MAX_WEBVIEW_TEXT, PROTOCOL_VERSION, parseHostMessage, parseWebviewMessage } from '../../src/shared/protocol';

const v = PROTOCOL_VERSION;

test('webview → host: each message of the union parses', () => {
  assert.deepEqual(parseWebviewMessage({ v, type: 'ready' }), { v, type: 'ready' });
  assert.ok(parseWebviewMessage({ v, type: 'getCase', reqId: 3, key: 'a|b|c' }));
  assert.ok(parseWebviewMessage({ v, type: 'saveReview', key: 'a|b|c', verdict: 'override', attack_success: true, note: 'n' }));
  assert.ok(parseWebviewMessage({ v, type: 'saveReview', key: 'a|b|c', verdict: null, attack_success: null, note: '' }));
  assert.ok(parseWebviewMessage({ v, type: 'copy', text: '{"a":1}' }));
  assert.ok(parseWebviewMessage({ v, type: 'openInDataset', key: 'a|b|c' }));
});

test('webview → host: anything else is dropped', () => {
  const bad: unknown[] = [
    undefined, null, 42, 'ready', [], {},
    { command: 'workbench.action.terminal.new' },
    { v, type: 'executeCommand', command: 'workbench.action.terminal.new', args: [] },
    { v, type: 'openExternal', url: 'https://evil.example' },
    { v, type: 'readFile', path: '/etc/passwd' },
    { type: 'ready' },
    { v: v + 1, type: 'ready' },
    { v: String(v), type: 'ready' },
    // Extra fields are refused, not ignored: a path can never ride along.
    { v, type: 'openInDataset', key: 'k', file: '/etc/passwd', line: 1 },
    { v, type: 'ready', command: 'workbench.action.terminal.new' },
    { v, type: 'getCase', reqId: -1, key: 'k' },
    { v, type: 'getCase', reqId: 1.5, key: 'k' },
    { v, type: 'getCase', reqId: 1, key: '' },
    { v, type: 'getCase', reqId: 1, key: 'k'.repeat(5000) },
    { v, type: 'saveReview', key: 'k', verdict: 'maybe', attack_success: null, note: '' },
    { v, type: 'saveReview', key: 'k', verdict: 'agree', attack_success: null, note: 'x'.repeat(MAX_NOTE + 1) },
    { v, type: 'copy', text: 'x'.repeat(MAX_WEBVIEW_TEXT + 1) },
    { v, type: 'copy', text: { toString: () => 'x' } },
    JSON.parse('{"v":1,"type":"ready","__proto__":{"polluted":true}}'),
  ];
  for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m)?.slice(0, 80));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

const row = {
  key: 'a|p|m', test_id: 'a', category: 'c', subcategory: 's', persona: 'p', model: 'm', attack_success: true, overall: 0.1,
  safety: 0.2, error: null, error_kind: null, judge_status: 'ok', answer: '<img src=x onerror=alert(1)>', latency_ms: 5, attempts: 1,
  judge_attempts: 1, completed_at: 't', group_id: null, perspective: null, score: null, stance: null,
};

test('host → webview: validated too; malformed rows are left out of a chunk', () => {
  const m = parseHostMessage({ v, type: 'rows', rows: [row, { ...row, key: 5 }, { ...row, attack_success: 'yes' }, null], reset: true, done: false, skipped: 0 });
  assert.equal(m?.type, 'rows');
  assert.deepEqual(m?.type === 'rows' ? m.rows : null, [row]);
  assert.equal(parseHostMessage({ v, type: 'rows', rows: 'nope', reset: true, done: false, skipped: 0 }), undefined);
  assert.equal(parseHostMessage({ v: 99, type: 'rows', rows: [], reset: true, done: false, skipped: 0 }), undefined);
  assert.equal(parseHostMessage({ v, type: 'status', status: 'exploded' }), undefined);
  assert.ok(parseHostMessage({ v, type: 'status', status: 'running' }));
  assert.equal(parseHostMessage({ v, type: 'notice', level: 'info' }), undefined);
  assert.ok(parseHostMessage({ v, type: 'reviews', reviews: [], removed: [], replace: true }));
});

test('setStanceLabel: a bin, a -1..+1 number, both or neither (removal), with an optional note', () => {
  assert.deepEqual(parseWebviewMessage({ v, type: 'setStanceLabel', key: 'a|b|c', stance: 'neg' }), { v, type: 'setStanceLabel', key: 'a|b|c', stance: 'neg' });
  assert.ok(parseWebviewMessage({ v, type: 'setStanceLabel', key: 'a|b|c', score: -1 }));
  assert.ok(parseWebviewMessage({ v, type: 'setStanceLabel', key: 'a|b|c', score: 1, stance: 'pos', note: 'clearly pro' }));
  assert.ok(parseWebviewMessage({ v, type: 'setStanceLabel', key: 'a|b|c', stance: null, score: null }));
  const bad: unknown[] = [
    { v, type: 'setStanceLabel', key: 'a|b|c', score: 1.01 },
    { v, type: 'setStanceLabel', key: 'a|b|c', score: -1.5 },
    { v, type: 'setStanceLabel', key: 'a|b|c', score: Number.NaN },
    { v, type: 'setStanceLabel', key: 'a|b|c', score: Number.NEGATIVE_INFINITY },
    { v, type: 'setStanceLabel', key: 'a|b|c', score: '0.3' },
    { v, type: 'setStanceLabel', key: 'a|b|c', stance: 'positive' },
    { v, type: 'setStanceLabel', key: '', stance: 'neg' },
    { v, type: 'setStanceLabel', key: 'k'.repeat(5000), stance: 'neg' },
    { v, type: 'setStanceLabel', key: 'a|b|c', stance: 'neg', note: 'x'.repeat(MAX_NOTE + 1) },
    // The run folder is the host's; a message cannot name one (or a reviewer).
    { v, type: 'setStanceLabel', key: 'a|b|c', stance: 'neg', runDir: '/etc' },
    { v, type: 'setStanceLabel', key: 'a|b|c', stance: 'neg', reviewer: 'mallory' },
  ];
  for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m)?.slice(0, 80));
});

test('host → webview: stance labels with their agreement', () => {
  const label = { key: 'a|p|m', reviewer: '', stance: 'neg', score: -0.5, note: '<b>x</b>', time: '2026-01-01T00:00:00.000Z' };
  const agreement = { bins: 1, percent: 1, kappa: null, numbers: 1, spearman: null };
  assert.ok(parseHostMessage({ v, type: 'stanceLabels', labels: [label], agreement }));
  assert.equal(parseHostMessage({ v, type: 'stanceLabels', labels: [{ ...label, stance: 'maybe' }], agreement }), undefined);
  assert.equal(parseHostMessage({ v, type: 'stanceLabels', labels: [label], agreement: { ...agreement, bins: -1 } }), undefined);
  assert.equal(parseHostMessage({ v, type: 'stanceLabels', labels: [label] }), undefined);
});

test('row chunks: the fast row check accepts and refuses exactly what ViewRowSchema does', async () => {
  const { ViewRowSchema, looksLikeViewRow } = await import('../../src/shared/results/types');
  const good = {
    key: 't|p|m', test_id: 't', category: 'c', subcategory: 's', persona: 'p', model: 'm',
    attack_success: false, overall: 0.9, safety: 0.8, error: null, error_kind: null, judge_status: 'ok',
    answer: 'a', latency_ms: 12, attempts: 1, judge_attempts: 1, completed_at: '2026-01-01T00:00:00Z',
    group_id: null, perspective: null, score: null, stance: null,
  };
  assert.ok(ViewRowSchema.safeParse(good).success);
  assert.ok(looksLikeViewRow(good));
  const wrongValues: unknown[] = [undefined, 'x', 1, true, null, {}, 'neg', 'judge'];
  let refused = 0;
  for (const field of Object.keys(good)) {
    for (const value of wrongValues) {
      const row = { ...good, [field]: value };
      const bySchema = ViewRowSchema.safeParse(row).success;
      assert.equal(looksLikeViewRow(row), bySchema, `${field}=${JSON.stringify(value)}`);
      if (!bySchema) refused++;
    }
  }
  assert.ok(refused > Object.keys(good).length * 4, 'the variations include many invalid rows');
});
