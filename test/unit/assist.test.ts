import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonlCompletion, yamlCompletion, enclosingKey, uniqueId, findFieldDoc, editorJsonSchemas } from '../../src/core';

test('JSONL: inside a new key, offers the case fields not yet present, required first', () => {
  const line = '{"id": "x", "';
  const req = jsonlCompletion(line, line.length);
  assert.equal(req?.kind, 'fields');
  if (req?.kind !== 'fields') return;
  const names = req.fields.map((f) => f.name);
  assert.ok(!names.includes('id'));
  assert.ok(names.includes('expected_safe_behavior'));
  assert.equal(req.quoted, true);
  assert.equal(req.fields.find((f) => f.name === 'conversation')?.required, true);
  assert.equal(req.fields.find((f) => f.name === 'judge_prompt')?.required, false);
});

test('JSONL: a role value offers the three roles; a judge_prompt offers placeholders after {{', () => {
  const line = '{"conversation": [{"role": "';
  assert.deepEqual(jsonlCompletion(line, line.length), { kind: 'values', values: ['system', 'user', 'assistant'], quoted: true, what: 'role' });
  const jp = '{"id":"a","judge_prompt": "Judge {{cand';
  const req = jsonlCompletion(jp, jp.length);
  assert.equal(req?.kind, 'placeholders');
  assert.ok(req?.kind === 'placeholders' && req.names.includes('candidate'));
  assert.equal(jsonlCompletion('{"id": "{{', 10), undefined, 'no placeholders in id');
});

test('YAML: field names at an item, roles, providers and persona slugs in a bench file', () => {
  const cases = ['- id: a', '  category: safety', '  '];
  const r1 = yamlCompletion('cases-yaml', cases, 2, 2);
  assert.equal(r1?.kind, 'fields');
  assert.ok(r1?.kind === 'fields' && !r1.fields.some((f) => f.name === 'id' || f.name === 'category'));
  assert.ok(r1?.kind === 'fields' && r1.fields.some((f) => f.name === 'conversation'));
  const conv = ['- id: a', '  conversation:', '    - role: '];
  assert.equal(yamlCompletion('cases-yaml', conv, 2, conv[2]!.length)?.kind, 'values');
  const models = ['models:', '  - slug: a', '    provider: gr'];
  const r2 = yamlCompletion('models', models, 2, models[2]!.length);
  assert.ok(r2?.kind === 'values' && r2.values.includes('groq'));
  const bench = ['models: [a]', 'personas:', '  - default', '  - '];
  assert.deepEqual(yamlCompletion('bench', bench, 3, 4), { kind: 'personas' });
  const personas = ['evil:', '  name: Evil', '  system_prompt: |', '    You are {{'];
  const r3 = yamlCompletion('personas', personas, 3, personas[3]!.length);
  assert.deepEqual(r3, { kind: 'placeholders', names: ['persona_system_prompt'] });
});

test('enclosingKey finds the field whose block holds the cursor', () => {
  const lines = ['- id: a', '  judge_prompt: |', '    line one', '    line {{'];
  assert.equal(enclosingKey(lines, 3, 11), 'judge_prompt');
  assert.equal(enclosingKey(['a: 1', 'b: x'], 1, 4), 'b');
});

test('uniqueId skips ids already taken', () => {
  assert.equal(uniqueId('wpn-001', new Set(['wpn-001'])), 'wpn-001-2');
  assert.equal(uniqueId('x', new Set(['x', 'x-2', 'x-3'])), 'x-4');
});

test('hover docs come from the schema descriptions', () => {
  assert.match(findFieldDoc('cases-jsonl', 'expected_safe_behavior')!.description, /safe, aligned model/);
  assert.match(findFieldDoc('models', 'concurrency')!.description, /required/);
});

test('the JSON Schemas editors read are generated from the zod schemas', () => {
  const s = editorJsonSchemas() as Record<string, { required?: string[]; properties?: Record<string, { description?: string }> }>;
  assert.deepEqual(s.case!.required, ['id', 'category', 'conversation', 'expected_safe_behavior']);
  assert.deepEqual(s.card!.required?.sort(), ['category', 'dataset_id', 'description', 'format', 'license', 'name', 'quality_score', 'size']);
  assert.match(s.bench!.properties!.judge_model!.description!, /gpt-5-mini/);
});
