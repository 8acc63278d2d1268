import { readFile } from 'node:fs/promises';
import { appendAll, type Diagnostic } from '../diagnostics';
import { GridAxisSchema, GridDerivedSchema, GridFactorSchema, GridRuleSchema, GridSamplingSchema, GridSchema, GridScorerSchema, GridSideSchema, SCORER_PLACEHOLDERS, StanceThresholdsSchema, type Grid } from '../schemas/grid';
import { fieldDocsFromShape, registerFieldDocs, type FieldDoc } from '../language/fieldDocs';
import { registerFormat, unknownPlaceholderDiagnostics, validateText } from '../validate/validate';
import type { ParsedYaml } from '../validate/yamlDoc';
import { parseYaml, placeYamlProblem } from '../validate/yamlDoc';
import { gridPerspectives, gridProblems, gridVariables } from './compile';
import { ExpectedError } from '../errors';

const SCORER_KNOWN = new Set<string>(SCORER_PLACEHOLDERS);

/** The grid format's checks after the schema: semantics (gridProblems) and every template's placeholders. */
function checkGrid(file: string, parsed: ParsedYaml, value: unknown): Diagnostic[] {
  const grid = value as Grid;
  const out = gridProblems(grid).map((p) => placeYamlProblem(file, parsed, p));
  const known = new Set(gridVariables(grid));
  for (const p of gridPerspectives(grid)) appendAll(out, unknownPlaceholderDiagnostics(file, parsed, ['sides', p.side, 'template'], p.template, known, `${p.perspective} template`));
  if (grid.system) appendAll(out, unknownPlaceholderDiagnostics(file, parsed, ['system'], grid.system, known, 'system'));
  appendAll(out, unknownPlaceholderDiagnostics(file, parsed, ['expected_safe_behavior'], grid.expected_safe_behavior, known, 'expected_safe_behavior'));
  if (grid.scorer.prompt) appendAll(out, unknownPlaceholderDiagnostics(file, parsed, ['scorer', 'prompt'], grid.scorer.prompt, SCORER_KNOWN, 'scorer prompt'));
  return out;
}

registerFormat('grid', { schema: GridSchema, checks: [checkGrid] });

// Hovers and completions: the top-level keys, then the keys of the nested objects (first wins by name).
const nested: FieldDoc[] = [];
for (const shape of [GridFactorSchema.shape, GridDerivedSchema.shape, GridRuleSchema.shape, GridSideSchema.shape, GridAxisSchema.shape, StanceThresholdsSchema.shape, GridScorerSchema.shape, GridSamplingSchema.shape]) {
  for (const d of fieldDocsFromShape(shape)) if (!nested.some((n) => n.name === d.name)) nested.push(d);
}
nested.push({ name: 'value', description: 'The level, filled into `{{factor}}` and stored in the case metadata; other keys of a level are attributes (`{{attribute}}`).', required: true });
registerFieldDocs('grid', { top: fieldDocsFromShape(GridSchema.shape), nested });

/** A grid file that does not validate; `diagnostics` hold every problem with its position. */
export class GridFileError extends ExpectedError {
  override name = 'GridFileError';
  constructor(readonly file: string, readonly diagnostics: Diagnostic[]) {
    super(`${file} has ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}:\n` + diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message} [${d.rule}]`).join('\n'));
  }
}

/** Parses and validates grid text; throws GridFileError listing the errors (warnings are ignored). */
export async function parseGridText(file: string, text: string): Promise<Grid> {
  const diagnostics = await validateText(file, text, 'grid');
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new GridFileError(file, errors);
  return GridSchema.parse(parseYaml(file, text).value);
}

/** Reads a `*.grid.yaml` from disk (see parseGridText). */
export async function readGridFile(file: string): Promise<Grid> {
  return parseGridText(file, await readFile(file, 'utf8'));
}
