import type { z } from 'zod';
import { BenchSchema } from '../schemas/bench';
import { DatasetCardSchema } from '../schemas/card';
import { CaseSchema, TurnSchema } from '../schemas/cases';
import { ModelEntrySchema } from '../schemas/models';
import { PersonaSchema } from '../schemas/personas';
import type { FileKind } from '../validate/kinds';

/** The kind of value a field holds, for inserting it with the right quotes or brackets. */
type ValueShape =
  | { type: 'string' | 'number' | 'boolean' | 'array' | 'object' | 'conversation' }
  | { type: 'enum'; values: string[] };

export interface FieldDoc {
  name: string;
  description: string;
  required: boolean;
  /** Absent: a string. */
  value?: ValueShape;
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; options?: z.ZodType[]; entries?: Record<string, string> };
const defOf = (s: z.ZodType) => (s as unknown as { def: Def }).def;

/** The shape of a schema's value, under optional/default/nullable wrappers. */
function valueShapeOf(schema: z.ZodType): ValueShape {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const d = defOf(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else break;
  }
  const d = defOf(s);
  switch (d.type) {
    case 'number': case 'int': case 'bigint': return { type: 'number' };
    case 'boolean': return { type: 'boolean' };
    case 'enum': return { type: 'enum', values: Object.values(d.entries ?? {}) };
    case 'array': case 'tuple': return { type: 'array' };
    case 'object': case 'record': case 'map': return { type: 'object' };
    // A conversation is a list of turns or one user turn as a string: offered as the list.
    case 'union': return d.options?.some((o) => defOf(o).type === 'array') ? { type: 'array' } : valueShapeOf(d.options![0]!);
    default: return { type: 'string' };
  }
}

function docsOf(shape: Record<string, z.ZodType>): FieldDoc[] {
  return Object.entries(shape).map(([name, s]) => {
    const value = name === 'conversation' ? { type: 'conversation' as const } : valueShapeOf(s);
    return { name, description: s.description ?? '', required: !s.safeParse(undefined).success, ...(value.type === 'string' ? {} : { value }) };
  });
}

/** Field documentation of the object(s) a file kind holds; nested objects come after the top level. */
export const FIELD_DOCS: Partial<Record<FileKind, { top: FieldDoc[]; nested: FieldDoc[] }>> = {
  'cases-jsonl': { top: docsOf(CaseSchema.shape), nested: docsOf(TurnSchema.shape) },
  'cases-yaml': { top: docsOf(CaseSchema.shape), nested: docsOf(TurnSchema.shape) },
  card: { top: docsOf(DatasetCardSchema.shape), nested: [] },
  personas: { top: [], nested: docsOf(PersonaSchema.shape) },
  models: { top: [{ name: 'models', description: 'Ordered roster of models under test.', required: true, value: { type: 'array' } }], nested: docsOf(ModelEntrySchema.shape) },
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
