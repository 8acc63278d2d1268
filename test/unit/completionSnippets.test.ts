// Accepting a field-name completion inserts the key and a value of the field's type (its quotes or
// brackets, the cursor inside), so the line is valid JSON/YAML as soon as the value is typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYamlText } from 'yaml';
import { FIELD_DOCS, fieldSnippet, jsonlCompletion, type FileKind } from '../../src/core';
import { CaseSchema } from '../../src/core/schemas/cases';
import { BenchSchema } from '../../src/core/schemas/bench';
import { DatasetCardSchema } from '../../src/core/schemas/card';
import { ModelEntrySchema } from '../../src/core/schemas/models';

/** Fills a snippet's tab stops as a user would: the first choice, the placeholder, or `typed`. */
function expand(snippet: string, typed: string): string {
  return snippet
    .replace(/\$\{\d+\|([^,|]*)[^|]*\|\}/g, '$1')
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$\d+/g, typed);
}

test('the id completion in a JSONL case inserts "id": "" with the cursor between the quotes', () => {
  const line = '{"';
  const req = jsonlCompletion(line, line.length);
  assert.ok(req?.kind === 'fields');
  const id = req.fields.find((f) => f.name === 'id')!;
  assert.equal(fieldSnippet(id, 'json', { keyQuoted: req.quoted }), 'id": "$1"');
  assert.equal(fieldSnippet(id, 'json'), '"id": "$1"');
  assert.equal(fieldSnippet(id, 'yaml'), 'id: "$1"');
});

test('every field of every format, by its type: the expanded snippet parses and its value passes the field\'s schema', () => {
  const shapes: Partial<Record<FileKind, Record<string, { safeParse(v: unknown): { success: boolean } }>>> = {
    'cases-jsonl': CaseSchema.shape, 'cases-yaml': CaseSchema.shape, card: DatasetCardSchema.shape, bench: BenchSchema.shape, models: ModelEntrySchema.shape,
  };
  // What a user types at the cursor: text in a string, nothing inside brackets.
  const typedFor = (f: { name: string; value?: { type: string } }) => (f.value && f.value.type !== 'conversation' ? '' : f.name.endsWith('_url') ? 'https://example.invalid/v1' : 'x');
  let checked = 0;
  for (const [kind, shape] of Object.entries(shapes) as [FileKind, Record<string, { safeParse(v: unknown): { success: boolean } }>][]) {
    const docs = FIELD_DOCS[kind]!;
    const fields = kind === 'models' ? docs.nested : docs.top;
    for (const f of fields) {
      const style = kind === 'cases-jsonl' ? 'json' : 'yaml';
      const text = expand(fieldSnippet(f, style), typedFor(f));
      const value = style === 'json' ? (JSON.parse(`{${text}}`) as Record<string, unknown>)[f.name] : (parseYamlText(text) as Record<string, unknown>)[f.name];
      // Numbers start at 0 and lists empty: fill those as a user would before checking the schema.
      const filled = typeof value === 'number' && f.name !== 'temperature' && f.name !== 'seed' && f.name !== 'quality_score' ? 1 : Array.isArray(value) && value.length === 0 && (f.name === 'models' || f.name === 'datasets') ? ['x'] : value;
      assert.ok(shape[f.name]!.safeParse(filled).success, `${kind} ${f.name}: ${text} → ${JSON.stringify(value)}`);
      checked++;
    }
  }
  assert.ok(checked > 50, `${checked} fields checked`);
  // A few by type, as inserted.
  const field = (kind: FileKind, name: string) => [...FIELD_DOCS[kind]!.top, ...FIELD_DOCS[kind]!.nested].find((f) => f.name === name)!;
  assert.equal(fieldSnippet(field('cases-jsonl', 'conversation'), 'json'), '"conversation": [{"role": "user", "content": "$1"}]');
  assert.equal(fieldSnippet(field('cases-jsonl', 'metadata'), 'json'), '"metadata": {$1}');
  assert.equal(fieldSnippet(field('bench', 'score'), 'yaml'), 'score: ${1|now,later|}');
  assert.equal(fieldSnippet(field('bench', 'include_neutral'), 'yaml'), 'include_neutral: ${1|true,false|}');
  assert.equal(fieldSnippet(field('card', 'size'), 'yaml'), 'size: ${1:0}');
  assert.equal(fieldSnippet(field('card', 'tags'), 'yaml'), 'tags: [$1]');
  assert.equal(fieldSnippet(field('cases-yaml', 'conversation'), 'yaml'), 'conversation:\n  - role: user\n    content: "$1"');
});
