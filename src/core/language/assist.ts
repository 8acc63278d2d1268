import { getLocation, parse as parseLoose, type ParseError } from 'jsonc-parser';
import { JUDGE_PLACEHOLDERS, ROLES } from '../schemas/cases';
import { PROVIDER_NAMES } from '../schemas/models';
import type { FileKind } from '../validate/kinds';
import { FIELD_DOCS, type FieldDoc } from './fieldDocs';

/**
 * What accepting a field-name completion inserts: the key and a value of the field's type with
 * its quotes or brackets and the cursor inside (a VS Code snippet: `$1` is the cursor, `${1|a,b|}`
 * a choice). `keyQuoted`: in JSON, the opening quote of the key is already typed.
 */
export function fieldSnippet(f: FieldDoc, style: 'json' | 'yaml', opts: { keyQuoted?: boolean } = {}): string {
  const v = f.value ?? { type: 'string' as const };
  if (style === 'json') {
    const key = opts.keyQuoted ? `${f.name}": ` : `"${f.name}": `;
    switch (v.type) {
      case 'string': return `${key}"$1"`;
      case 'number': return `${key}\${1:0}`;
      case 'boolean': return `${key}\${1|true,false|}`;
      case 'enum': return `${key}"\${1|${v.values.join(',')}|}"`;
      case 'array': return `${key}[$1]`;
      case 'object': return `${key}{$1}`;
      case 'conversation': return `${key}[{"role": "user", "content": "$1"}]`;
    }
  }
  const key = `${f.name}: `;
  switch (v.type) {
    case 'string': return `${key}"$1"`;
    case 'number': return `${key}\${1:0}`;
    case 'boolean': return `${key}\${1|true,false|}`;
    case 'enum': return `${key}\${1|${v.values.join(',')}|}`;
    case 'array': return `${key}[$1]`;
    case 'object': return `${f.name}:\n  \${1:key}: $2`;
    case 'conversation': return `${f.name}:\n  - role: user\n    content: "$1"`;
  }
}

/** What the editor should offer at the cursor. */
export type CompletionRequest =
  | { kind: 'fields'; fields: FieldDoc[]; quoted: boolean }
  | { kind: 'values'; values: readonly string[]; quoted: boolean; what: string }
  | { kind: 'placeholders'; names: readonly string[] }
  | { kind: 'personas' }
  | undefined;

const PLACEHOLDER_OPEN = /\{\{\s*[A-Za-z_]*$/;

/** Placeholders a template field may use, by field name. */
function placeholdersFor(field: string | undefined): readonly string[] | undefined {
  if (field === 'judge_prompt') return JUDGE_PLACEHOLDERS;
  if (field === 'system_prompt') return ['persona_system_prompt'];
  return undefined;
}

/** Completion context on one line of a cases JSONL file (the cursor is a UTF-16 offset in it). */
export function jsonlCompletion(lineText: string, character: number): CompletionRequest {
  const loc = getLocation(lineText, character);
  const path = loc.path;
  const before = lineText.slice(0, character);
  if (loc.isAtPropertyKey && path.length === 1) {
    const errors: ParseError[] = [];
    const obj = parseLoose(lineText, errors, { allowTrailingComma: true }) as Record<string, unknown> | undefined;
    const present = new Set(obj && typeof obj === 'object' ? Object.keys(obj) : []);
    const fields = FIELD_DOCS['cases-jsonl']!.top.filter((f) => !present.has(f.name));
    return { kind: 'fields', fields, quoted: /"[^"]*$/.test(before) };
  }
  if (loc.isAtPropertyKey && path.length === 3 && path[0] === 'conversation') {
    return { kind: 'fields', fields: FIELD_DOCS['cases-jsonl']!.nested, quoted: /"[^"]*$/.test(before) };
  }
  if (!loc.isAtPropertyKey && path[0] === 'conversation' && path[2] === 'role') {
    return { kind: 'values', values: ROLES, quoted: /"[^"]*$/.test(before), what: 'role' };
  }
  const field = typeof path[0] === 'string' ? path[0] : undefined;
  const names = placeholdersFor(field);
  if (names && PLACEHOLDER_OPEN.test(before)) return { kind: 'placeholders', names };
  return undefined;
}

/** The key of a YAML `key: value` line, and whether it is a list item (`- key:`). */
export function yamlKeyAt(line: string): { key: string; indent: number; item: boolean; keyStart: number } | undefined {
  const m = /^(\s*)(-\s+)?([A-Za-z_][\w-]*)\s*:/.exec(line);
  if (!m) return undefined;
  return { key: m[3]!, indent: m[1]!.length + (m[2]?.length ?? 0), item: Boolean(m[2]), keyStart: m[1]!.length + (m[2]?.length ?? 0) };
}

/**
 * Completion context in a YAML file of a known kind, from the text of the document up to the
 * cursor (`lines` are the document's lines, `line`/`character` 0-based).
 */
export function yamlCompletion(kind: FileKind, lines: readonly string[], line: number, character: number): CompletionRequest {
  const before = (lines[line] ?? '').slice(0, character);
  // Placeholder inside a template (the template may be a multi-line block).
  if (PLACEHOLDER_OPEN.test(before)) {
    const field = enclosingKey(lines, line, character);
    const names = placeholdersFor(field) ?? (kind === 'grid' ? undefined : undefined);
    if (names) return { kind: 'placeholders', names };
  }
  const valueMatch = /^\s*(-\s+)?([A-Za-z_][\w-]*)\s*:\s*["']?[\w-]*$/.exec(before);
  if (valueMatch) {
    const key = valueMatch[2]!;
    if (key === 'role') return { kind: 'values', values: ROLES, quoted: false, what: 'role' };
    if (key === 'provider' && kind === 'models') return { kind: 'values', values: PROVIDER_NAMES, quoted: false, what: 'provider' };
    if (key === 'score' && kind === 'bench') return { kind: 'values', values: ['now', 'later'], quoted: false, what: 'score' };
    if (key === 'include_neutral') return { kind: 'values', values: ['true', 'false'], quoted: false, what: 'boolean' };
    return undefined;
  }
  if (kind === 'bench' && /^\s*-\s+[\w-]*$/.test(before) && enclosingKey(lines, line, character) === 'personas') {
    return { kind: 'personas' };
  }
  if (/^\s*(-\s+)?[A-Za-z_]*$/.test(before)) {
    const docs = FIELD_DOCS[kind];
    if (!docs) return undefined;
    const indent = /^(\s*)/.exec(before)![1]!.length;
    const isItem = /^\s*-\s/.test(before);
    const nested = kind === 'personas' || kind === 'models' ? indent > 0 : kind.startsWith('cases') && (indent > 2 || (isItem && indent > 0 && isInsideConversation(lines, line)));
    const pool = nested ? docs.nested : docs.top;
    const present = siblingKeys(lines, line, indent + (isItem ? 2 : 0));
    return { kind: 'fields', fields: pool.filter((f) => !present.has(f.name)), quoted: false };
  }
  return undefined;
}

function isInsideConversation(lines: readonly string[], line: number): boolean {
  return enclosingKey(lines, line, 0) === 'conversation';
}

/** The nearest key above the cursor with a smaller indent: the field whose value holds the cursor. */
export function enclosingKey(lines: readonly string[], line: number, character: number): string | undefined {
  const here = lines[line] ?? '';
  const sameLine = yamlKeyAt(here);
  if (sameLine && sameLine.keyStart + sameLine.key.length < character) return sameLine.key;
  const indentOf = (s: string) => /^(\s*)/.exec(s)![1]!.length;
  const cur = here.trim() === '' ? character : indentOf(here);
  for (let i = line - 1; i >= 0 && i >= line - 500; i--) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    const k = yamlKeyAt(l);
    if (k && k.keyStart < cur) return k.key;
    if (!k && indentOf(l) < cur && !/^\s*-/.test(l)) return undefined;
  }
  return undefined;
}

/** Keys already present in the mapping that contains `line` (same indent), to avoid offering them. */
function siblingKeys(lines: readonly string[], line: number, indent: number): Set<string> {
  const out = new Set<string>();
  const scan = (i: number) => {
    const k = yamlKeyAt(lines[i] ?? '');
    if (k && k.keyStart === indent) out.add(k.key);
    return k;
  };
  for (let i = line - 1; i >= 0 && i >= line - 200; i--) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    const k = scan(i);
    const ind = /^(\s*)/.exec(l)![1]!.length;
    if (k?.item && k.keyStart === indent) break;
    if (ind < indent && !k?.item) break;
  }
  for (let i = line + 1; i < lines.length && i <= line + 200; i++) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    const ind = /^(\s*)/.exec(l)![1]!.length;
    if (ind < indent || /^\s*-\s/.test(l) && ind + 2 <= indent) break;
    scan(i);
  }
  return out;
}

/** A fresh id for a duplicate: `id-2`, `id-3`, … whichever is unused. */
export function uniqueId(id: string, taken: ReadonlySet<string>): string {
  for (let n = 2; n < 100000; n++) {
    const candidate = `${id}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
  return `${id}-${Date.now()}`;
}

/** A sensible empty value for a missing required field, as JSON text. */
export function defaultFieldValue(field: string): unknown {
  switch (field) {
    case 'conversation': return [{ role: 'user', content: '' }];
    case 'size': return 0;
    case 'quality_score': return 0.5;
    case 'concurrency': return 1;
    case 'tags': return [];
    case 'models': return [];
    default: return '';
  }
}
