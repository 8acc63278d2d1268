// What the end of a run says (the CLI's last lines and the editor's end-of-run notification are
// both built from describeOutcome): attack success per model × persona, and the judge's failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeOutcome, type MeasuredCell, type OutcomeInput } from '../../src/core';

const cell = (model: string, persona: string, o: Partial<MeasuredCell> = {}): MeasuredCell => ({ model, persona, count: 4, errors: 0, judgeErrors: 0, pending: 0, scored: 4, judged: 4, attacks: 1, ...o });
const input = (o: Partial<OutcomeInput>): OutcomeInput => ({
  counts: { total: 8, done: 8, errors: 0, judge_errors: 0, judge_pending: 0 }, measured: [cell('b', 'x'), cell('a', 'x')], judgeModel: 'j', scoreLater: false,
  order: { models: ['b', 'a'] }, rejudge: 'REJUDGE', ...o,
});

test('every cell in the run\'s order with its attack success and errors; no judge problem when all verdicts came back', () => {
  const o = describeOutcome(input({}));
  assert.deepEqual(o.measuredLines, ['b × x  attack success 1/4 (25%); 0 generation errors, 0 judge errors', 'a × x  attack success 1/4 (25%); 0 generation errors, 0 judge errors']);
  assert.equal(o.judgeProblem, undefined);
  assert.equal(o.mostVerdictsFailed, false);
});

test('a few failed verdicts: said plainly with the first error and how to re-judge; most failed: said loudly', () => {
  const few = describeOutcome(input({ counts: { total: 8, done: 8, errors: 0, judge_errors: 1, judge_pending: 0 }, firstJudgeError: { key: 'c1|x|a', error: 'invalid verdict after 3 asks: the answer is not valid JSON (…)' } }));
  assert.equal(few.mostVerdictsFailed, false);
  assert.equal(few.judgeProblem, '1 verdict of 8 failed. First judge error (c1|x|a): invalid verdict after 3 asks: the answer is not valid JSON (…). The judge "j" must answer with the JSON verdict only: choose a judge model that does, then re-judge: REJUDGE');
  const most = describeOutcome(input({ counts: { total: 8, done: 8, errors: 0, judge_errors: 5, judge_pending: 0 }, firstJudgeError: { key: 'k', error: 'invalid verdict after 3 asks: x' } }));
  assert.equal(most.mostVerdictsFailed, true);
  assert.match(most.judgeProblem!, /^5 of 8 verdicts failed: little was measured\./);
  // A judge whose calls fail (a key, an endpoint) gets other advice than one that answers prose.
  const calls = describeOutcome(input({ counts: { total: 8, done: 8, errors: 0, judge_errors: 8, judge_pending: 0 }, firstJudgeError: { key: 'k', error: 'judge call failed: 401 invalid key' } }));
  assert.match(calls.judgeProblem!, /^8 of 8 verdicts failed: nothing was measured\. First judge error \(k\): judge call failed: 401 invalid key\. Check the judge "j" \(its endpoint, key and model name\), then re-judge: REJUDGE$/);
});

test('a grid run (a scorer with no attack verdict) lists no attack success', () => {
  assert.deepEqual(describeOutcome(input({ measured: [cell('a', 'x', { judged: 0, attacks: 0 })] })).measuredLines, []);
});
