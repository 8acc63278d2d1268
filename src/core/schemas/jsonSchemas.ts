import { z } from 'zod';
import { BenchSchema } from './bench';
import { DatasetCardSchema } from './card';
import { CasesYamlSchema, CaseSchema } from './cases';
import { ModelsFileSchema } from './models';
import { PersonasFileSchema } from './personas';
import { GridSchema } from './grid';

/**
 * The zod schemas editors see as JSON Schema, by file name in `dist/schemas/`. The manifest's
 * `jsonValidation` / `yamlValidation` entries point at these files.
 */
const EDITOR_SCHEMAS: Record<string, z.ZodType> = {
  case: CaseSchema,
  cases: CasesYamlSchema,
  card: DatasetCardSchema,
  personas: PersonasFileSchema,
  models: ModelsFileSchema,
  bench: BenchSchema,
  grid: GridSchema,
};

/** JSON Schema (draft-07, what VS Code's JSON and YAML services read best) for each format. */
export function editorJsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(EDITOR_SCHEMAS)) {
    out[name] = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
  }
  return out;
}
