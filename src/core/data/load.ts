import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics';
import { BUILTIN_PERSONAS } from '../personas/builtin';
import { BenchSchema, type Bench } from '../schemas/bench';
import { CasesYamlSchema, type Case } from '../schemas/cases';
import { DatasetCardSchema } from '../schemas/card';
import { ModelsFileSchema, type ModelEntry } from '../schemas/models';
import { PersonasFileSchema, type PersonasFile } from '../schemas/personas';
import type { ModelSource } from '../providers/models';
import { validateCasesJsonlFile } from '../validate/jsonl';
import { validateText } from '../validate/validate';
import { nodeAtPath, offsetSpan, parseYaml } from '../validate/yamlDoc';
import type { FileKind } from '../validate/kinds';
import { ExpectedError } from '../errors';
import { fileProblemDiagnostic } from '../validate/fileCheck';

/** Data that cannot be run: the diagnostics say why (file, line, column). */
export class DataError extends ExpectedError {
  override name = 'DataError';
  constructor(readonly diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`${errors.length} error${errors.length === 1 ? '' : 's'} in the data:\n` + errors.slice(0, 50).map((d) => `  ${d.file}:${d.line}:${d.column}: ${d.message} [${d.rule}]`).join('\n') + (errors.length > 50 ? `\n  … and ${errors.length - 50} more` : ''));
  }
}

export function hasErrors(ds: Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/** sha256 of a file's bytes, streamed. */
async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Validates a YAML/JSON file as `kind` (whatever its name) and returns the parsed value when clean. */
async function loadStructured<T>(file: string, kind: FileKind, schema: { safeParse(v: unknown): { success: boolean; data?: T } }, ignoreRules: readonly string[] = []): Promise<{ value?: T; diagnostics: Diagnostic[] }> {
  const problem = fileProblemDiagnostic(file);
  if (problem) return { diagnostics: [problem] };
  const text = await readFile(file, 'utf8');
  const diagnostics = (await validateText(file, text, kind)).filter((d) => !ignoreRules.includes(d.rule));
  if (hasErrors(diagnostics)) return { diagnostics };
  const parsed = parseYaml(file, text);
  const r = schema.safeParse(parsed.value);
  return r.success ? { value: r.data as T, diagnostics } : { diagnostics };
}

/**
 * A bench file, validated as `awb validate` does. `rosterOverridden`: the run names its own models
 * or roster (flags), so the bench's models are not checked against the roster beside it.
 */
export async function loadBenchFile(file: string, opts: { rosterOverridden?: boolean } = {}): Promise<{ bench?: Bench; diagnostics: Diagnostic[] }> {
  const { value, diagnostics } = await loadStructured<Bench>(file, 'bench', BenchSchema, opts.rosterOverridden ? ['unknown-model'] : []);
  return { ...(value ? { bench: value } : {}), diagnostics };
}

/** The roster in file order, duplicates dropped (the first entry wins, as validation warns). */
export async function loadModelsFile(file: string): Promise<{ models?: ModelEntry[]; sources?: ModelSource[]; diagnostics: Diagnostic[] }> {
  const { value, diagnostics } = await loadStructured(file, 'models', ModelsFileSchema);
  if (!value) return { diagnostics };
  const seen = new Set<string>();
  const all = modelEntrySources(file, await readFile(file, 'utf8'), value.models.length);
  const kept = value.models.map((m, i) => [m, all[i]!] as const).filter(([m]) => (seen.has(m.slug) ? false : (seen.add(m.slug), true)));
  return { models: kept.map(([m]) => m), sources: kept.map(([, s]) => s), diagnostics };
}

/** Where each roster entry is (its line, its `base_url` and `api_key_env` lines), for messages. */
function modelEntrySources(file: string, text: string, count: number): ModelSource[] {
  const parsed = parseYaml(file, text);
  const lineOf = (path: (string | number)[], key: boolean): number | undefined => {
    if (!parsed.doc) return undefined;
    const { node, pair } = nodeAtPath(parsed.doc, path);
    const range = ((key ? pair?.key : node) as { range?: [number, number] } | undefined)?.range ?? (node as { range?: [number, number] } | undefined)?.range;
    return range ? offsetSpan(parsed.lineCounter, range[0], range[1]).line : undefined;
  };
  return Array.from({ length: count }, (_, i) => {
    const line = lineOf(['models', i], false) ?? 1;
    const baseUrlLine = lineOf(['models', i, 'base_url'], true);
    const keyEnvLine = lineOf(['models', i, 'api_key_env'], true);
    return { file, line, ...(baseUrlLine !== undefined ? { baseUrlLine } : {}), ...(keyEnvLine !== undefined ? { keyEnvLine } : {}) };
  });
}

/** Built-in personas overlaid with the personas file (the file wins on a shared slug). */
export async function loadPersonas(file?: string): Promise<{ personas?: PersonasFile; diagnostics: Diagnostic[] }> {
  if (!file) return { personas: { ...BUILTIN_PERSONAS }, diagnostics: [] };
  const { value, diagnostics } = await loadStructured(file, 'personas', PersonasFileSchema);
  return value ? { personas: { ...BUILTIN_PERSONAS, ...value }, diagnostics } : { diagnostics };
}

/** A dataset card names its cases file; anything else is a cases file itself. */
export async function resolveDatasetPath(file: string): Promise<{ path?: string; diagnostics: Diagnostic[] }> {
  if (!/\.dataset\.(ya?ml|json)$/i.test(file)) return { path: file, diagnostics: [] };
  const { value, diagnostics } = await loadStructured(file, 'card', DatasetCardSchema);
  if (!value) return { diagnostics };
  if (!value.path) return { diagnostics: [...diagnostics, { file, line: 1, column: 1, endLine: 1, endColumn: 2, severity: 'error', rule: 'no-data', message: 'the dataset card has no `path` to its cases file' }] };
  return { path: resolve(dirname(file), value.path), diagnostics };
}

export interface LoadedCase {
  case: Case;
  /** 1-based line in the file (JSONL), or of the list item (YAML). */
  line: number | null;
}

/**
 * Streams the valid cases of a cases file (JSONL or YAML) to `onCase`, stopping after `limit`,
 * and returns every diagnostic plus the file's sha256. The caller refuses to run when any
 * diagnostic is an error, so the cases handed over before an error are never used on their own.
 */
export async function loadCases(
  file: string,
  onCase: (c: LoadedCase) => void,
  opts: { limit?: number; displayName?: string; signal?: AbortSignal } = {},
): Promise<{ diagnostics: Diagnostic[]; sha256: string; count: number }> {
  const name = opts.displayName ?? file;
  const problem = fileProblemDiagnostic(file, name);
  if (problem) return { diagnostics: [problem.rule === 'missing-file' ? { ...problem, message: 'dataset not found' } : problem], sha256: '', count: 0 };
  let count = 0;
  const take = (c: LoadedCase) => {
    if (opts.limit !== undefined && count >= opts.limit) return;
    count++;
    onCase(c);
  };
  let diagnostics: Diagnostic[];
  if (/\.jsonl$/i.test(file)) {
    diagnostics = await validateCasesJsonlFile(file, {
      displayName: name,
      // The validator already parsed the line with CaseSchema (defaults applied).
      onCase: (jc) => take({ case: jc.value as Case, line: jc.line }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } else {
    const text = await readFile(file, 'utf8');
    diagnostics = (await validateText(file, text, 'cases-yaml')).map((d) => (d.file === file ? { ...d, file: name } : d));
    if (!hasErrors(diagnostics)) {
      const parsed = parseYaml(file, text);
      const r = CasesYamlSchema.safeParse(parsed.value);
      if (r.success) {
        r.data.forEach((c, i) => {
          const range = parsed.doc ? (nodeAtPath(parsed.doc, [i]).node as { range?: [number, number] } | undefined)?.range : undefined;
          take({ case: c, line: range ? offsetSpan(parsed.lineCounter, range[0], range[1]).line : null });
        });
      }
    }
  }
  return { diagnostics, sha256: await fileSha256(file), count };
}
