import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Document, type Node as YamlNode, type Pair } from 'yaml';
import type { Diagnostic, Span } from '../diagnostics';
import type { PathProblem } from './zodIssues';

/** Largest YAML file we parse; bigger ones are refused before parsing. */
export const MAX_YAML_BYTES = 16 * 1024 * 1024;
/** Aliases a document may expand; more is treated as an alias bomb. */
export const MAX_YAML_ALIASES = 200;

export interface ParsedYaml {
  doc: Document.Parsed | undefined;
  value: unknown;
  lineCounter: LineCounter;
  text: string;
  /** Syntax and resource problems; when any is an error, `value` is undefined. */
  diagnostics: Diagnostic[];
}

export function offsetSpan(lc: LineCounter, start: number, end: number): Span {
  const a = lc.linePos(start);
  const b = lc.linePos(Math.max(end, start + 1));
  return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
}

/** Parses YAML keeping positions. Never throws: problems come back as diagnostics. */
export function parseYaml(file: string, text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  if (text.length > MAX_YAML_BYTES) {
    return { doc: undefined, value: undefined, lineCounter, text, diagnostics: [{ file, line: 1, column: 1, endLine: 1, endColumn: 2, severity: 'error', rule: 'file-too-large', message: `YAML file is ${(text.length / 1024 / 1024).toFixed(1)} MB, over the ${MAX_YAML_BYTES / 1024 / 1024} MB limit` }] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1); // keep offsets, drop the BOM
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const span = offsetSpan(lineCounter, e.pos[0], e.pos[1]);
    diagnostics.push({ file, ...span, severity: 'error', rule: e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax', message: `YAML: ${e.message.split('\n')[0]}` });
  }
  for (const w of doc.warnings) {
    const span = offsetSpan(lineCounter, w.pos[0], w.pos[1]);
    diagnostics.push({ file, ...span, severity: 'warning', rule: 'yaml-warning', message: `YAML: ${w.message.split('\n')[0]}` });
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { doc, value: undefined, lineCounter, text, diagnostics };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const bomb = /alias/i.test(message);
    diagnostics.push({ file, line: 1, column: 1, endLine: 1, endColumn: 2, severity: 'error', rule: bomb ? 'alias-bomb' : 'yaml-syntax', message: bomb ? `YAML: too many aliases (over ${MAX_YAML_ALIASES}); refusing to expand what looks like an alias bomb` : `YAML: ${message}` });
    return { doc, value: undefined, lineCounter, text, diagnostics };
  }
  return { doc, value, lineCounter, text, diagnostics };
}

/** The node at a path, and the pair holding it (for key positions). */
export function nodeAtPath(doc: Document.Parsed, path: readonly (string | number)[]): { node?: YamlNode; pair?: Pair; parent?: YamlNode } {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let parent: YamlNode | undefined;
  for (const key of path) {
    parent = node as YamlNode;
    if (isMap(node)) {
      pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key || String(isScalar(p.key) ? p.key.value : p.key) === String(key));
      if (!pair) return { parent };
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      pair = undefined;
      if (node === undefined) return { parent };
    } else return { parent };
  }
  return { node: node as YamlNode, ...(pair ? { pair } : {}), ...(parent ? { parent } : {}) };
}

function rangeOf(n: unknown): [number, number] | undefined {
  const r = (n as { range?: [number, number, number] } | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}

/** Places a schema problem on the YAML node it is about (the key for a missing field's parent). */
export function placeYamlProblem(file: string, parsed: ParsedYaml, p: PathProblem): Diagnostic {
  const lc = parsed.lineCounter;
  let range: [number, number] | undefined;
  if (parsed.doc) {
    if (p.missing || p.rule === 'invalid-key') {
      const target = p.missing ? p.path.slice(0, -1) : p.path;
      const { node, pair } = nodeAtPath(parsed.doc, target);
      if (p.rule === 'invalid-key' && pair) range = rangeOf(pair.key);
      else if (pair && isPair(pair)) range = rangeOf(pair.key);
      else if (node) {
        // A list item with a missing field: point at the item's first key.
        const first = isMap(node) ? node.items[0]?.key : undefined;
        range = rangeOf(first) ?? rangeOf(node);
      }
    } else {
      const { node, pair, parent } = nodeAtPath(parsed.doc, p.path);
      range = rangeOf(node) ?? rangeOf(pair?.key) ?? rangeOf(parent);
    }
  }
  const [start, end] = range ?? [0, 1];
  // Keep multi-line values to their first line so the squiggle stays readable.
  const span = offsetSpan(lc, start, end);
  return { file, ...span, severity: 'error', rule: p.rule, message: p.message, ...(p.data ? { data: p.data } : {}) };
}
