import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import type { Diagnostic } from '../diagnostics';
import { appendAll, capPerFile, sortDiagnostics } from '../diagnostics';
import { BUILTIN_PERSONAS } from '../personas/builtin';
import { BenchSchema } from '../schemas/bench';
import { DatasetCardSchema } from '../schemas/card';
import { CasesYamlSchema, JUDGE_PLACEHOLDERS } from '../schemas/cases';
import { ModelsFileSchema } from '../schemas/models';
import { PersonasFileSchema } from '../schemas/personas';
import { JsonlDocumentValidator, validateCasesJsonlFile } from './jsonl';
import { detectKind, type FileKind } from './kinds';
import { findPlaceholders } from './placeholders';
import { nodeAtPath, offsetSpan, parseYaml, placeYamlProblem, type ParsedYaml } from './yamlDoc';
import { zodIssuesToProblems } from './zodIssues';
import { readLines } from './lineReader';
import { fileProblem, fileProblemDiagnostic, ioMessage, isIoError } from './fileCheck';

/** A check that runs after the schema passed, with the parsed file at hand. */
type ExtraCheck = (file: string, parsed: ParsedYaml, value: unknown) => Promise<Diagnostic[]> | Diagnostic[];

interface StructuredFormat {
  schema: z.ZodType;
  checks: ExtraCheck[];
}

/** Schema and extra checks of every YAML/JSON format; other modules may add formats (grids). */
const STRUCTURED_FORMATS: Partial<Record<FileKind, StructuredFormat>> = {
  'cases-yaml': { schema: CasesYamlSchema, checks: [checkYamlCases] },
  card: { schema: DatasetCardSchema, checks: [checkCardData] },
  personas: { schema: PersonasFileSchema, checks: [checkPersonaPlaceholders] },
  models: { schema: ModelsFileSchema, checks: [checkDuplicateModelSlugs] },
  bench: { schema: BenchSchema, checks: [checkBenchReferences] },
};

export function registerFormat(kind: FileKind, format: StructuredFormat): void {
  STRUCTURED_FORMATS[kind] = format;
}

/**
 * Validates a document given as text (an editor buffer, or a small file read whole).
 * `file` is the absolute path, used to resolve references (a card's data, a bench's personas).
 */
export async function validateText(file: string, text: string, kind = detectKind(file)): Promise<Diagnostic[]> {
  if (!kind) return [];
  if (kind === 'cases-jsonl') {
    const v = new JsonlDocumentValidator(file);
    v.setText(text);
    return v.validate();
  }
  const format = STRUCTURED_FORMATS[kind];
  if (!format) return [];
  const parsed = kind === 'card' && /\.json$/i.test(file) ? parseJsonAsYaml(file, text) : parseYaml(file, text);
  return capPerFile(sortDiagnostics(appendAll(appendAll([], parsed.diagnostics), await checkStructured(file, parsed, format))));
}

function parseJsonAsYaml(file: string, text: string): ParsedYaml {
  // JSON is YAML 1.2, so the YAML parser gives JSON cards the same positions and messages.
  return parseYaml(file, text);
}

async function checkStructured(file: string, parsed: ParsedYaml, format: StructuredFormat): Promise<Diagnostic[]> {
  if (parsed.value === undefined) {
    if (parsed.diagnostics.length === 0) return [{ file, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', rule: 'empty-file', message: 'the file is empty' }];
    return [];
  }
  const result = format.schema.safeParse(parsed.value);
  if (!result.success) {
    return zodIssuesToProblems(result.error.issues, parsed.value).map((p) => placeYamlProblem(file, parsed, p));
  }
  const out: Diagnostic[] = [];
  for (const check of format.checks) appendAll(out, await check(file, parsed, result.data));
  return out;
}

/** Validates a file on disk; JSONL is streamed, so any size is fine. */
export async function validateFile(file: string, opts: { displayName?: string } = {}): Promise<Diagnostic[]> {
  const name = opts.displayName ?? file;
  const kind = detectKind(file);
  // A missing file is "not found" whatever its name; only an existing file of no known kind is "not a known file".
  const problem = fileProblemDiagnostic(file, name);
  if (problem) return [problem];
  if (!kind) return [{ file: name, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', rule: 'unknown-format', message: 'not a known Alignment Workbench file (expected *.cases.jsonl, *.cases.yaml, *.dataset.yaml|json, personas.yaml, models.yaml, *.bench.yaml or *.grid.yaml)' }];
  try {
    if (kind === 'cases-jsonl') return await validateCasesJsonlFile(file, { displayName: name });
    const text = await readFile(file, 'utf8');
    const diagnostics = await validateText(file, text, kind);
    return name === file ? diagnostics : diagnostics.map((d) => ({ ...d, file: d.file === file ? name : d.file }));
  } catch (err) {
    if (!isIoError(err)) throw err;
    return [{ file: name, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', rule: 'unreadable', message: `cannot read the file: ${ioMessage(err)}` }];
  }
}

// ---- extra checks --------------------------------------------------------------------------

export function unknownPlaceholderDiagnostics(file: string, parsed: ParsedYaml, path: (string | number)[], template: string, known: ReadonlySet<string>, what: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { node } = parsed.doc ? nodeAtPath(parsed.doc, path) : {};
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  for (const p of findPlaceholders(template)) {
    if (known.has(p.name)) continue;
    let span = range ? offsetSpan(parsed.lineCounter, range[0], range[1]) : { line: 1, column: 1, endLine: 1, endColumn: 2 };
    if (range) {
      const raw = template.slice(p.start, p.end);
      const at = parsed.text.indexOf(raw, range[0]);
      if (at >= 0 && at < range[1]) span = offsetSpan(parsed.lineCounter, at, at + raw.length);
    }
    out.push({ file, ...span, severity: 'error', rule: 'unknown-placeholder', message: `${what} placeholder {{${p.name}}} is not filled by anything; known: ${[...known].map((n) => `{{${n}}}`).join(', ')}`, data: { placeholder: p.name } });
  }
  return out;
}

const JUDGE_KNOWN = new Set<string>(JUDGE_PLACEHOLDERS);

function checkYamlCases(file: string, parsed: ParsedYaml, value: unknown): Diagnostic[] {
  const cases = value as { id: string; judge_prompt?: string }[];
  const out: Diagnostic[] = [];
  const firstIndex = new Map<string, number>();
  cases.forEach((c, i) => {
    if (c.judge_prompt) appendAll(out, unknownPlaceholderDiagnostics(file, parsed, [i, 'judge_prompt'], c.judge_prompt, JUDGE_KNOWN, 'judge_prompt'));
    const first = firstIndex.get(c.id);
    if (first === undefined) { firstIndex.set(c.id, i); return; }
    const here = placeYamlProblem(file, parsed, { path: [i, 'id'], rule: 'duplicate-id', message: '' });
    const there = placeYamlProblem(file, parsed, { path: [first, 'id'], rule: 'duplicate-id', message: '' });
    out.push({ ...here, message: `duplicate id "${c.id}": first used on line ${there.line}`, data: { id: c.id, firstLine: there.line } });
  });
  return out;
}

function checkPersonaPlaceholders(file: string, parsed: ParsedYaml, value: unknown): Diagnostic[] {
  const known = new Set(['persona_system_prompt']);
  return Object.entries(value as Record<string, { system_prompt: string }>).flatMap(([slug, p]) =>
    unknownPlaceholderDiagnostics(file, parsed, [slug, 'system_prompt'], p.system_prompt, known, 'system_prompt'));
}

function checkDuplicateModelSlugs(file: string, parsed: ParsedYaml, value: unknown): Diagnostic[] {
  const seen = new Map<string, number>();
  const out: Diagnostic[] = [];
  (value as { models: { slug: string; provider?: string; base_url?: string }[] }).models.forEach((m, i) => {
    if (!m.provider && !m.base_url) {
      const d = placeYamlProblem(file, parsed, { path: ['models', i, 'slug'], rule: 'no-endpoint', message: '' });
      out.push({ ...d, severity: 'info', message: `"${m.slug}" names neither provider nor base_url: it runs on the default provider (OPENAI_BASE_URL or OpenAI)` });
    }
    const first = seen.get(m.slug);
    if (first === undefined) { seen.set(m.slug, i); return; }
    const d = placeYamlProblem(file, parsed, { path: ['models', i, 'slug'], rule: 'duplicate-model', message: '' });
    out.push({ ...d, severity: 'warning', message: `model "${m.slug}" is listed twice; the first entry is used` });
  });
  return out;
}

/** Counts the cases in a data file (non-blank JSONL lines, or YAML list items). */
async function countCases(dataPath: string): Promise<number> {
  if (/\.jsonl$/i.test(dataPath)) {
    let n = 0;
    for await (const ev of readLines(dataPath)) if (ev.kind !== 'line' || ev.text.trim() !== '') n++;
    return n;
  }
  const parsed = parseYaml(dataPath, await readFile(dataPath, 'utf8'));
  return Array.isArray(parsed.value) ? parsed.value.length : 0;
}

async function checkCardData(file: string, parsed: ParsedYaml, value: unknown): Promise<Diagnostic[]> {
  const card = value as { path?: string; size: number };
  if (!card.path) return [];
  const dataPath = resolve(dirname(file), card.path);
  const problem = fileProblem(dataPath);
  if (problem) {
    const d = placeYamlProblem(file, parsed, { path: ['path'], rule: 'missing-data', message: '' });
    return [{ ...d, message: problem.rule === 'missing-file' ? `data file not found: ${card.path}` : `data file ${card.path}: ${problem.message}` }];
  }
  const count = await countCases(dataPath);
  if (count !== card.size) {
    const d = placeYamlProblem(file, parsed, { path: ['size'], rule: 'size-mismatch', message: '' });
    return [{ ...d, message: `size is ${card.size} but ${card.path} has ${count} case${count === 1 ? '' : 's'}`, data: { actual: count } }];
  }
  return [];
}

/** Persona slugs a bench file can use: the built-ins plus its personas file. */
export async function knownPersonaSlugs(benchFile: string, personasFile?: string): Promise<{ slugs: Set<string>; source?: string }> {
  const slugs = new Set(Object.keys(BUILTIN_PERSONAS));
  const candidate = personasFile ? resolve(dirname(benchFile), personasFile) : resolve(dirname(benchFile), 'personas.yaml');
  if (fileProblem(candidate)) return { slugs };
  const parsed = parseYaml(candidate, await readFile(candidate, 'utf8'));
  if (parsed.value && typeof parsed.value === 'object') for (const k of Object.keys(parsed.value)) slugs.add(k);
  return { slugs, source: candidate };
}

/**
 * The roster a bench file runs with: its `models_file` (relative to the bench file), else a
 * `models.yaml` beside it; undefined when there is none. `awb run FILE.bench.yaml`, the editor's
 * Run Benchmark and validation all use this rule (a `--models-file` flag overrides it for a run).
 */
export function benchRosterFile(benchFile: string, modelsFile?: string): string | undefined {
  const candidate = resolve(dirname(benchFile), modelsFile ?? 'models.yaml');
  return fileProblem(candidate) ? undefined : candidate;
}

/** The message for a model slug a roster lacks: the same from validation and from a run. */
export function unknownModelMessage(slug: string, rosterName: string, known: readonly string[]): string {
  return `model "${slug}" is not in ${rosterName}${known.length ? ` (known: ${known.join(', ')})` : ''}; add it to ${rosterName} or use one of its models`;
}

/** Slugs of a roster file as written (in order); undefined when the file does not parse. */
async function rosterSlugs(file: string): Promise<string[] | undefined> {
  const parsed = parseYaml(file, await readFile(file, 'utf8'));
  const models = (parsed.value as { models?: unknown } | undefined)?.models;
  if (!Array.isArray(models)) return undefined;
  return models.map((m) => (m && typeof m === 'object' ? (m as { slug?: unknown }).slug : undefined)).filter((x): x is string => typeof x === 'string');
}

async function checkBenchReferences(file: string, parsed: ParsedYaml, value: unknown): Promise<Diagnostic[]> {
  const bench = value as { personas: string[]; personas_file?: string; datasets: string[]; grid?: string; models_file?: string; models: string[] };
  const out: Diagnostic[] = [];
  // With a roster in effect, every model must be in it (a run refuses any other slug).
  const roster = benchRosterFile(file, bench.models_file);
  const known = roster ? await rosterSlugs(roster) : undefined;
  if (roster && known) {
    const rosterName = bench.models_file ?? roster.split(/[\\/]/).pop()!;
    bench.models.forEach((slug, i) => {
      if (known.includes(slug)) return;
      const d = placeYamlProblem(file, parsed, { path: ['models', i], rule: 'unknown-model', message: '' });
      out.push({ ...d, message: unknownModelMessage(slug, rosterName, known), data: { slug, modelsFile: roster } });
    });
  }
  const { slugs, source } = await knownPersonaSlugs(file, bench.personas_file);
  bench.personas.forEach((slug, i) => {
    if (slugs.has(slug)) return;
    const d = placeYamlProblem(file, parsed, { path: ['personas', i], rule: 'unknown-persona', message: '' });
    out.push({ ...d, message: `persona "${slug}" is not defined by ${source ? 'personas file ' + source.split(/[\\/]/).pop() : 'any personas file'} nor built in (built-in: ${Object.keys(BUILTIN_PERSONAS).join(', ')})`, data: { slug } });
  });
  const refs: [string, (string | number)[]][] = bench.datasets.map((d, i) => [d, ['datasets', i]]);
  if (bench.grid) refs.push([bench.grid, ['grid']]);
  if (bench.personas_file) refs.push([bench.personas_file, ['personas_file']]);
  if (bench.models_file) refs.push([bench.models_file, ['models_file']]);
  for (const [rel, path] of refs) {
    if (existsSync(resolve(dirname(file), rel))) continue;
    const d = placeYamlProblem(file, parsed, { path, rule: 'missing-file', message: '' });
    out.push({ ...d, message: `file not found: ${rel}` });
  }
  return out;
}
