import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LocalRegistry, NotFoundError, aggregateScores, evaluateOutputs, readOutputsFile, recordRunEvaluations, resolveScorer, scoreValue, sha256File,
  type RunRowLike,
} from '../../src/core/registry';
import { card } from './fixtures/registry/cards';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'awb-reg-'));

test('default scorer: a number clamped to 0..1, true is 1, false 0, anything else 0.5', () => {
  assert.equal(scoreValue(0.7), 0.7);
  assert.equal(scoreValue(3), 1);
  assert.equal(scoreValue(-2), 0);
  assert.equal(scoreValue(true), 1);
  assert.equal(scoreValue(false), 0);
  assert.equal(scoreValue(undefined), 0.5);
  assert.equal(scoreValue('0.9'), 0.5);
  assert.equal(scoreValue(null), 0.5);
  assert.equal(scoreValue(Number.NaN), 0.5);
});

test('aggregate: mean rounded to 4 decimals, min, max, count; no outputs gives 0 and sample_count 0', () => {
  assert.deepEqual(aggregateScores([1, 0, 0]), { score: 0.3333, metrics: { mean_score: 0.3333, min_score: 0, max_score: 1, sample_count: 3 } });
  assert.deepEqual(aggregateScores([]), { score: 0, metrics: { mean_score: 0, min_score: 0, max_score: 0, sample_count: 0 } });
});

test('evaluate scores outputs, records the result with the data hash, and history is newest first', async () => {
  const dir = tmp();
  const data = join(dir, 'd.cases.jsonl');
  writeFileSync(data, '{"id":"1"}\n');
  const sha = await sha256File(data);
  const reg = new LocalRegistry(join(dir, 'r.sqlite'));
  await reg.register([{ card: card('d'), sha256: sha, dataPath: data }]);
  const first = await evaluateOutputs(reg, { datasetId: 'd', outputs: [{ score: 0.95 }, { score: 0.87 }, { score: 0.91 }], modelName: 'my-model-v2' });
  assert.equal(first.score, 0.91);
  assert.equal(first.model_name, 'my-model-v2');
  assert.deepEqual(first.metrics, { mean_score: 0.91, min_score: 0.87, max_score: 0.95, sample_count: 3 });
  assert.equal(first.data_sha256, sha);
  assert.match(first.evaluated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const second = await evaluateOutputs(reg, { datasetId: 'd', outputs: [] });
  assert.equal(second.model_name, 'unknown');
  assert.equal(second.score, 0);
  assert.equal(second.metrics.sample_count, 0);
  assert.deepEqual((await reg.results('d')).map((r) => r.id), [second.id, first.id]);
  await assert.rejects(evaluateOutputs(reg, { datasetId: 'ghost', outputs: [{ score: 1 }] }), NotFoundError);
  await assert.rejects(reg.results('ghost'), NotFoundError);
  await reg.close();
});

test('--scorer FIELD reads a (dotted) field; --scorer ./file.mjs calls its function; a non-number from it is an error', async () => {
  const dir = tmp();
  const field = await resolveScorer('judge_json.overall', dir);
  assert.equal(await field.score({ judge_json: { overall: 0.25 } }, 0), 0.25);
  assert.equal(await field.score({ overall: 0.25 }, 0), 0.5);
  writeFileSync(join(dir, 'helpful.mjs'), 'export default (o) => (o.helpful === true ? 1 : 0);\n');
  const mod = await resolveScorer('./helpful.mjs', dir);
  assert.equal(await mod.score({ helpful: true }, 0), 1);
  assert.equal(await mod.score({ helpful: 'yes' }, 0), 0);
  assert.match(mod.name, /^module:.*helpful\.mjs$/);
  writeFileSync(join(dir, 'bad.mjs'), 'export function score() { return "high"; }\n');
  const bad = await resolveScorer('./bad.mjs', dir);
  await assert.rejects(async () => bad.score({}, 4), /returned "high" for output 4/);
  writeFileSync(join(dir, 'none.mjs'), 'export const x = 1;\n');
  await assert.rejects(resolveScorer('./none.mjs', dir), /exports no scoring function/);
});

test('outputs files: JSON list, {"outputs": [...]}, JSONL; errors name the file and line', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'a.json'), '[{"score":1}]');
  writeFileSync(join(dir, 'b.json'), '{"outputs":[{"score":1},{"score":0}]}');
  writeFileSync(join(dir, 'c.jsonl'), '{"score":1}\n\n{"score":0}\r\n');
  writeFileSync(join(dir, 'd.jsonl'), '{"score":1}\n{"score":\n');
  writeFileSync(join(dir, 'e.json'), '{"x":1}');
  assert.equal((await readOutputsFile(join(dir, 'a.json'))).length, 1);
  assert.equal((await readOutputsFile(join(dir, 'b.json'))).length, 2);
  assert.equal((await readOutputsFile(join(dir, 'c.jsonl'))).length, 2);
  await assert.rejects(readOutputsFile(join(dir, 'd.jsonl'), 'd.jsonl'), /^RegistryInputError: d\.jsonl:2: /);
  await assert.rejects(readOutputsFile(join(dir, 'e.json'), 'e.json'), /e\.json: expected a JSON list/);
  await assert.rejects(readOutputsFile(join(dir, 'nope.json'), 'nope.json'), /nope\.json: file not found/);
});

function row(model: string, persona: string, over: Partial<RunRowLike> = {}): RunRowLike {
  return { model_slug: model, persona_slug: persona, overall: 1, safety_score: 1, attack_success: false, error: null, judge_status: 'ok', judge_model: 'gpt-5-mini', completed_at: '2025-01-02T03:04:05.000Z', dataset: 'd.cases.jsonl', ...over };
}

test('a run is recorded per model × persona: mean overall, attack success rate, mean safety, errors; linked to its run and data', async () => {
  const dir = tmp();
  const data = join(dir, 'd.cases.jsonl');
  writeFileSync(data, '{"id":"1"}\n');
  const sha = await sha256File(data);
  const reg = new LocalRegistry(join(dir, 'r.sqlite'));
  await reg.register([{ card: card('d'), sha256: sha, dataPath: data }, { card: card('other') }]);
  const rows = [
    row('m1', 'default', { overall: 0.2, safety_score: 0.4, attack_success: true, completed_at: '2025-01-02T03:04:06.000Z' }),
    row('m1', 'default', { overall: 0.6, safety_score: 0.8, attack_success: false }),
    row('m1', 'default', { overall: null, safety_score: null, attack_success: null, error: 'timeout', judge_status: 'skipped' }),
    row('m1', 'default', { overall: null, safety_score: null, attack_success: null, judge_status: 'error' }),
    row('m1', 'pirate', { overall: 1 }),
    row('m2', 'default', { overall: null, safety_score: null, attack_success: null, judge_status: 'pending' }),
    row('m1', 'default', { overall: 0, dataset: 'another.cases.jsonl' }),
  ];
  const recorded = await recordRunEvaluations(reg, { runId: '20250102_030405', runDir: join(dir, 'results', '20250102_030405'), datasetSha256: sha, rowDataset: 'd.cases.jsonl', rows });
  assert.equal(recorded.length, 2, 'm2 is only pending (score later): nothing to record yet');
  const m1 = recorded.find((r) => r.persona === 'default')!;
  assert.equal(m1.dataset_id, 'd');
  assert.equal(m1.model_name, 'm1');
  assert.equal(m1.score, 0.4);
  assert.deepEqual(m1.metrics, { mean_score: 0.4, min_score: 0.2, max_score: 0.6, sample_count: 2, errors: 2, attack_success_rate: 0.5, mean_safety: 0.6 });
  assert.equal(m1.run_id, '20250102_030405');
  assert.equal(m1.run_dir, join(dir, 'results', '20250102_030405'));
  assert.equal(m1.judge, 'gpt-5-mini');
  assert.equal(m1.data_sha256, sha);
  assert.equal(m1.evaluated_at, '2025-01-02T03:04:06.000Z', 'the latest completion');
  assert.equal((await reg.results('other')).length, 0);

  // Recording the same run again (a resume) replaces its results instead of duplicating them.
  const again = await recordRunEvaluations(reg, { runId: '20250102_030405', runDir: join(dir, 'results', '20250102_030405'), datasetPath: data, rowDataset: 'd.cases.jsonl', rows: rows.map((r) => (r.model_slug === 'm2' ? { ...r, overall: 0.5, judge_status: 'ok' } : r)) });
  assert.equal(again.length, 3);
  assert.equal((await reg.results('d')).length, 3);
  await reg.close();
});

test('a run over data that is not registered records nothing', async () => {
  const dir = tmp();
  const reg = new LocalRegistry(join(dir, 'r.sqlite'));
  await reg.register([{ card: card('d'), sha256: 'a'.repeat(64) }]);
  assert.deepEqual(await recordRunEvaluations(reg, { runId: 'r', runDir: dir, datasetSha256: 'b'.repeat(64), rows: [row('m', 'p')] }), []);
  assert.deepEqual(await reg.results('d'), []);
  await reg.close();
});
