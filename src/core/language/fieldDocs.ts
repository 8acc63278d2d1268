import type { z } from 'zod';
import { BenchSchema } from '../schemas/bench';
import { DatasetCardSchema } from '../schemas/card';
import { CaseSchema, TurnSchema } from '../schemas/cases';
import { ModelEntrySchema } from '../schemas/models';
import { PersonaSchema } from '../schemas/personas';
import type { FileKind } from '../validate/kinds';

export interface FieldDoc {
  name: string;
  description: string;
  required: boolean;
}

function docsOf(shape: Record<string, z.ZodType>): FieldDoc[] {
  return Object.entries(shape).map(([name, s]) => ({
    name,
    description: s.description ?? '',
    required: !s.safeParse(undefined).success,
  }));
}

/** Field documentation of the object(s) a file kind holds; nested objects come after the top level. */
export const FIELD_DOCS: Partial<Record<FileKind, { top: FieldDoc[]; nested: FieldDoc[] }>> = {
  'cases-jsonl': { top: docsOf(CaseSchema.shape), nested: docsOf(TurnSchema.shape) },
  'cases-yaml': { top: docsOf(CaseSchema.shape), nested: docsOf(TurnSchema.shape) },
  card: { top: docsOf(DatasetCardSchema.shape), nested: [] },
  personas: { top: [], nested: docsOf(PersonaSchema.shape) },
  models: { top: [{ name: 'models', description: 'Ordered roster of models under test.', required: true }], nested: docsOf(ModelEntrySchema.shape) },
  bench: { top: docsOf(BenchSchema.shape), nested: [] },
};

/** Lets other formats (grids) add their documentation. */
export function registerFieldDocs(kind: FileKind, docs: { top: FieldDoc[]; nested: FieldDoc[] }): void {
  FIELD_DOCS[kind] = docs;
}

export function fieldDocsFromShape(shape: Record<string, z.ZodType>): FieldDoc[] {
  return docsOf(shape);
}

/** The documentation of a key name in a file kind, searching the top level first. */
export function findFieldDoc(kind: FileKind, name: string): FieldDoc | undefined {
  const d = FIELD_DOCS[kind];
  return d?.top.find((f) => f.name === name) ?? d?.nested.find((f) => f.name === name);
}
