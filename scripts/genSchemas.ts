// Writes dist/schemas/<format>.schema.json from the core's zod schemas (run by esbuild.mjs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editorJsonSchemas } from '../src/core/schemas/jsonSchemas';
import '../src/core';

const outDir = process.argv[2] ?? 'dist/schemas';
mkdirSync(outDir, { recursive: true });
for (const [name, schema] of Object.entries(editorJsonSchemas())) {
  writeFileSync(join(outDir, `${name}.schema.json`), JSON.stringify(schema, null, 2) + '\n');
}
