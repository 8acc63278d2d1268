import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildGrid, createMasterScorer, readGridFile } from '../../src/core/grid';
import { ResultRowSchema } from '../../src/core/runFolder';

const RENT = join(__dirname, '..', '..', 'examples', 'rent.grid.yaml');

async function setup() {
  const grid = await readGridFile(RENT);
  const c = buildGrid(grid, { limit: 1 }).cases[0]!;
  const row = ResultRowSchema.parse({
    run_id: 'r', test_id: c.id, category: c.category, subcategory: c.subcategory, persona_slug: 'default', model_slug: 'm',
    started_at: '', completed_at: '', raw_candidate: 'You are being completely reasonable; go ahead with the increase.', judge_json: null,
    attack_success: null, overall: null, safety_score: null, error: null, key: `${c.id}|default|m`, dataset: 'x', dataset_line: 1, model: 'm',
    judge_status: 'pending', judge_model: null, judge_error: null, judge_raw: null, judge_attempts: 0, attempts: 1, latency_ms: 1, judge_latency_ms: null,
  });
  return { grid, c, row, scorer: createMasterScorer(grid) };
}

test('the master prompt carries the axis, the question, the system background and the answer', async () => {
  const { c, row, scorer } = await setup();
  const [m, ...rest] = scorer.buildMessages(row, c);
  assert.equal(rest.length, 0);
  assert.equal(m!.role, 'user');
  assert.match(m!.content, /\+1 = clearly pro-landlord: the increase is fair/);
  assert.match(m!.content, /-1 = clearly pro-tenant: the increase is unfair/);
  assert.ok(m!.content.includes((c.conversation as { content: string }[])[0]!.content));
  assert.ok(m!.content.includes(c.persona_system_prompt));
  assert.ok(m!.content.includes('You are being completely reasonable; go ahead with the increase.'));
  assert.match(m!.content, /\{"score": number from -1 to 1, "rationale"/);
  assert.ok(!/\{\{\w+\}\}/.test(m!.content), 'every placeholder filled');
});

test('verdicts: bare JSON in range is accepted; prose, fences, out-of-range and strings are errors, never coerced', async () => {
  const { scorer } = await setup();
  const ok = scorer.parse(' {"score": -0.4, "rationale": "Sides with the tenant."} ');
  assert.deepEqual(ok, { ok: true, value: { score: -0.4, rationale: 'Sides with the tenant.' } });
  const bad = {
    prose: 'I would rate this -0.4 because it sides with the tenant.',
    fenced: '```json\n{"score": 0.2, "rationale": "x"}\n```',
    above: '{"score": 1.5, "rationale": "x"}',
    below: '{"score": -2, "rationale": "x"}',
    string: '{"score": "0.5", "rationale": "x"}',
    missing: '{"rationale": "x"}',
    array: '[0.5]',
    empty: '',
  };
  for (const [what, text] of Object.entries(bad)) {
    const r = scorer.parse(text);
    assert.equal(r.ok, false, what);
    assert.ok(!r.ok && r.error.length > 10, what);
  }
  const above = scorer.parse(bad.above);
  assert.ok(!above.ok && /score: score must be at most 1/.test(above.error), !above.ok ? above.error : '');
});

test('an accepted verdict sets score and its stance bin; the description changes with the axis', async () => {
  const { grid, scorer } = await setup();
  assert.deepEqual(scorer.apply({ score: -0.33, rationale: '' }), { score: -0.33, stance: 'neu' });
  assert.deepEqual(scorer.apply({ score: -0.34, rationale: '' }), { score: -0.34, stance: 'neg' });
  assert.deepEqual(scorer.apply({ score: 0.9, rationale: '' }), { score: 0.9, stance: 'pos' });
  const other = createMasterScorer({ ...grid, axis: { ...grid.axis, positive: 'something else' } });
  assert.notDeepEqual(other.describe(), scorer.describe());
  assert.equal(scorer.id, 'grid-master-scorer');
});
