import { createHash } from 'node:crypto';
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics';
import { DatasetCardSchema, type DatasetCard } from '../schemas/card';
import { validateText } from '../validate/validate';
import { parseYaml, placeYamlProblem } from '../validate/yamlDoc';
import { zodIssuesToProblems } from '../validate/zodIssues';
import { isSha256, type RegisterInput } from './model';

/** sha256 of a file's bytes, streamed (data files may be large). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A card file read for registration: its input, or the diagnostics that stop it. */
export type CardLoad =
  | { ok: true; input: RegisterInput; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

/**
 * Reads and validates a card file exactly as `awb validate` does (same schema, messages and
 * positions, data file present and `size` agreeing), whatever the file is named, then hashes its data.
 */
export interface CardFileOptions {
  displayName?: string;
  /**
   * Folders besides the card's own that its `path` may lead into (the workspace, the current
   * folder). A `path` elsewhere (`../../.ssh/id_rsa`) is refused, since `registry get` would copy
   * that file, unless `allowOutside`.
   */
  roots?: string[];
  allowOutside?: boolean;
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const realOr = (p: string): string => { try { return realpathSync(p); } catch { return resolve(p); } };

export async function loadCardFile(file: string, opts: CardFileOptions = {}): Promise<CardLoad> {
  const name = opts.displayName ?? file;
  const at = (message: string, rule: string): CardLoad => ({ ok: false, diagnostics: [{ file: name, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', rule, message }] });
  if (!existsSync(file)) return at('file not found', 'missing-file');
  if (!statSync(file).isFile()) return at('not a file', 'missing-file');
  const text = await readFile(file, 'utf8');
  const diagnostics = (await validateText(file, text, 'card')).map((d) => (d.file === file ? { ...d, file: name } : d));
  if (diagnostics.some((d) => d.severity === 'error')) return { ok: false, diagnostics };
  const parsed = parseYaml(file, text);
  const card = DatasetCardSchema.parse(parsed.value);
  // `download_url: null` (or `~`), as the original marketplace writes it, means no URL: stored as absent.
  if (card.download_url === null) delete card.download_url;
  const dataPath = card.path ? resolve(dirname(file), card.path) : null;
  if (dataPath && !opts.allowOutside) {
    // Symbolic links are followed: a link inside the folder to a file outside it is outside.
    const real = realOr(dataPath);
    const roots = [dirname(file), ...(opts.roots ?? [])].map(realOr);
    if (!roots.some((r) => isInside(r, real))) {
      const d = placeYamlProblem(name, parsed, { path: ['path'], rule: 'path-outside', message: '' });
      const where = opts.roots?.length ? 'the card\'s folder and the workspace' : 'the card\'s folder';
      return { ok: false, diagnostics: [...diagnostics, { ...d, message: `"path" leads outside ${where} (to ${real}); a registered path is copied by "registry get", so this is refused unless you pass --allow-outside-data` }] };
    }
  }
  const sha256 = dataPath ? await sha256File(dataPath) : null;
  return { ok: true, diagnostics, input: { card, sha256, cardPath: resolve(file), dataPath } };
}

// aumai-alignment's clients send pydantic's `None` as null for optional fields; treat it as absent.
const NULLABLE_OPTIONAL = ['download_url', 'path', 'version', 'taxonomy'];

/**
 * Validates a card sent as JSON text (an HTTP request body) with the card schema and `awb validate`'s
 * messages and positions, without touching the file system: a `path` in it is kept as metadata but
 * never read. An extra `data_sha256` (64 hex digits) is taken out of the card as its data hash.
 */
export function validateCardText(text: string, value: unknown, name = 'request body'): CardTextCheck {
  const parsed = parseYaml(name, text);
  const fail = (message: string, rule: string): CardTextCheck => ({ diagnostics: [{ file: name, line: 1, column: 1, endLine: 1, endColumn: 2, severity: 'error', rule, message }], paths: [[]] });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('a dataset card must be a JSON object', 'wrong-type');
  const obj: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const k of NULLABLE_OPTIONAL) if (obj[k] === null) delete obj[k];
  let sha256: string | null = null;
  if ('data_sha256' in obj) {
    if (obj.data_sha256 !== null && !isSha256(obj.data_sha256)) {
      const d = placeYamlProblem(name, parsed, { path: ['data_sha256'], rule: 'invalid-format', message: '"data_sha256" must be 64 lower-case hex digits' });
      return { diagnostics: [d], paths: [['data_sha256']] };
    }
    sha256 = (obj.data_sha256 as string | null) ?? null;
    delete obj.data_sha256;
  }
  const result = DatasetCardSchema.safeParse(obj);
  if (!result.success) {
    // Positions come from the YAML parser (JSON is YAML); if it disagrees, problems fall on line 1.
    const placeOn = parsed.diagnostics.some((d) => d.severity === 'error') ? { ...parsed, doc: undefined } : parsed;
    const placed = zodIssuesToProblems(result.error.issues, obj).map((p) => ({ d: placeYamlProblem(name, placeOn, p), path: p.path }));
    placed.sort((a, b) => a.d.line - b.d.line || a.d.column - b.d.column);
    return { diagnostics: placed.map((p) => p.d), paths: placed.map((p) => p.path) };
  }
  return { diagnostics: [], paths: [], input: { card: result.data as DatasetCard, sha256, cardPath: null, dataPath: null } };
}

/** What {@link validateCardText} found. */
export interface CardTextCheck {
  diagnostics: Diagnostic[];
  /** The field path of each diagnostic (same order), for API error locations. */
  paths: (string | number)[][];
  input?: RegisterInput;
}
