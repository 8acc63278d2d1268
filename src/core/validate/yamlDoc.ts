import { Lexer, LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Document, type Node as YamlNode, type Pair } from 'yaml';
import type { Diagnostic, Span } from '../diagnostics';
import type { PathProblem } from './zodIssues';
import { MAX_NESTING_DEPTH, measureValue, nestingMessage } from './jsonShape';

/** Largest YAML file we parse; bigger ones are refused before parsing. */
const MAX_YAML_BYTES = 16 * 1024 * 1024;
/** Aliases a document may expand; more is treated as an alias bomb. */
const MAX_YAML_ALIASES = 200;
/**
 * Anchors (`&a`) plus aliases (`*a`) a document may have. The YAML library's work grows with the
 * square of their number (20,000 take seconds, 300,000 minutes, with Ctrl+C unheard meanwhile);
 * hand-written data uses a few.
 */
const MAX_YAML_ANCHORS = 1000;

/**
 * Anchors plus aliases in YAML text, counting past `MAX_YAML_ANCHORS` only as far as needed. A
 * quick pattern over-counts (an `*` or `&` starting a word inside a quoted string matches too);
 * only text over the limit by that count is counted exactly with the YAML lexer (linear).
 */
function countAnchorsAndAliases(text: string): number {
  const rough = /(?:^|[\s[{,])[&*][^\s,[\]{}]/g;
  let n = 0;
  while (rough.exec(text)) if (++n > MAX_YAML_ANCHORS) break;
  if (n <= MAX_YAML_ANCHORS) return n;
  n = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    // The lexer marks a scalar's content with \x1f before it: content is never an anchor.
    if (scalarNext) { scalarNext = false; continue; }
    if (token === '\x1f') { scalarNext = true; continue; }
    const c = token.charCodeAt(0);
    if (c === 38 /* & */ || c === 42 /* * */) n++;
  }
  return n;
}

/** The first collection nested deeper than `max` (bounded walk, never deeper than `max + 1`). */
function tooDeepNode(node: unknown, max = MAX_NESTING_DEPTH): YamlNode | undefined {
  const walk = (n: unknown, depth: number): YamlNode | undefined => {
    if (!isMap(n) && !isSeq(n)) return undefined;
    if (depth > max) return n as YamlNode;
    for (const item of n.items as unknown[]) {
      const found = isPair(item) ? walk(item.key, depth + 1) ?? walk(item.value, depth + 1) : walk(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(node, 1);
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || Number.isNaN(c);

/**
 * Offset of the flow bracket (`[` or `{`) that opens level `max + 1`, or -1, found by a light
 * linear scan: quoted scalars, comments, block scalars (`|`, `>`) and plain scalars in block
 * context (`text: it's [a`) are skipped; inside flow collections every bracket counts. The YAML
 * library fails on deep flow collections with a stack overflow, and on very deep ones runs out
 * of memory and kills the process, so this runs before it.
 */
function flowTooDeepOffset(text: string, max = MAX_NESTING_DEPTH): number {
  const n = text.length;
  let depth = 0;
  let lineStart = 0;
  const toEol = (i: number): number => { const e = text.indexOf('\n', i); return e < 0 ? n : e - 1; };
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) { lineStart = i + 1; continue; }
    if (isSpace(c)) continue;
    const prev = i === 0 ? 32 : text.charCodeAt(i - 1);
    const tokenStart = isSpace(prev) || prev === 91 || prev === 123 || prev === 44 || prev === 58;
    if (c === 35 && isSpace(prev)) { i = toEol(i); continue; } // # comment
    if (c === 34 && tokenStart) { for (i++; i < n && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++; continue; }
    if (c === 39 && tokenStart) { for (i++; i < n; i++) if (text.charCodeAt(i) === 39) { if (text.charCodeAt(i + 1) === 39) i++; else break; } continue; }
    if (c === 91 || c === 123) { if (++depth > max) return i; continue; }
    if (c === 93 || c === 125) { if (depth > 0) depth--; continue; }
    if (depth > 0) continue; // flow context: plain scalars there cannot hold brackets
    const next = text.charCodeAt(i + 1);
    if ((c === 45 || c === 63 || c === 58) && isSpace(next)) continue; // - ? : indicators
    if (c === 38 || c === 42 || c === 33) { while (i + 1 < n && !isSpace(text.charCodeAt(i + 1))) i++; continue; } // &anchor *alias !tag
    if (c === 124 || c === 62) {
      // Block scalar: its lines are those indented more than the line holding the header.
      let indent = 0;
      while (text.charCodeAt(lineStart + indent) === 32) indent++;
      i = toEol(i);
      while (i + 1 < n) {
        const s = i + 2; // start of the next line (i + 1 is its \n)
        let k = s;
        while (text.charCodeAt(k) === 32) k++;
        const blank = k >= n || text.charCodeAt(k) === 10 || text.charCodeAt(k) === 13;
        if (!blank && k - s <= indent) break;
        i = toEol(s);
        if (i >= n) break;
      }
      continue;
    }
    // A plain scalar in block context: up to ": ", " #" or the end of the line.
    for (; i + 1 < n; i++) {
      const d = text.charCodeAt(i + 1);
      if (d === 10 || d === 13) break;
      if (d === 58 && isSpace(text.charCodeAt(i + 2))) break;
      if (d === 35 && isSpace(text.charCodeAt(i))) break;
    }
  }
  return -1;
}

const isStackOverflow = (err: unknown): boolean => err instanceof RangeError || /maximum call stack/i.test(String((err as Error)?.message ?? err));

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
  const fail = (rule: string, message: string, span: Span = { line: 1, column: 1, endLine: 1, endColumn: 2 }): ParsedYaml =>
    ({ doc: undefined, value: undefined, lineCounter, text, diagnostics: [{ file, ...span, severity: 'error', rule, message }] });
  const anchors = countAnchorsAndAliases(text);
  if (anchors > MAX_YAML_ANCHORS) {
    return fail('too-many-anchors', `YAML: ${anchors} anchors and aliases (&name, *name), over the limit of ${MAX_YAML_ANCHORS}; refusing to parse (the work grows with the square of their number)`);
  }
  const deepAt = flowTooDeepOffset(text);
  if (deepAt >= 0) {
    // Not parsed yet, so the line counter is empty: count lines up to the bracket.
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0 && i < deepAt; i = text.indexOf('\n', i + 1)) line++;
    const column = deepAt - text.lastIndexOf('\n', deepAt - 1);
    return fail('too-deep', `YAML: the document is ${nestingMessage()}`, { line, column, endLine: line, endColumn: column + 1 });
  }
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  } catch (err) {
    if (isStackOverflow(err)) return fail('too-deep', `YAML: the document is ${nestingMessage()}`);
    throw err;
  }
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const span = offsetSpan(lineCounter, e.pos[0], e.pos[1]);
    const deep = isStackOverflow(e.message);
    diagnostics.push({ file, ...span, severity: 'error', rule: e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : deep ? 'too-deep' : 'yaml-syntax', message: deep ? `YAML: the document is ${nestingMessage()}` : `YAML: ${e.message.split('\n')[0]}` });
  }
  for (const w of doc.warnings) {
    const span = offsetSpan(lineCounter, w.pos[0], w.pos[1]);
    diagnostics.push({ file, ...span, severity: 'warning', rule: 'yaml-warning', message: `YAML: ${w.message.split('\n')[0]}` });
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { doc, value: undefined, lineCounter, text, diagnostics };
  const deepNode = tooDeepNode(doc.contents);
  if (deepNode) {
    const [start, end] = deepNode.range ?? [0, 1];
    const span = offsetSpan(lineCounter, start, Math.min(end, start + 1));
    diagnostics.push({ file, ...span, severity: 'error', rule: 'too-deep', message: `YAML: the document is ${nestingMessage()}` });
    return { doc, value: undefined, lineCounter, text, diagnostics };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    // Aliases can nest what each node alone does not.
    if (measureValue(value).tooDeep) throw new RangeError('too deep');
  } catch (err) {
    if (isStackOverflow(err)) {
      diagnostics.push({ file, line: 1, column: 1, endLine: 1, endColumn: 2, severity: 'error', rule: 'too-deep', message: `YAML: the document (with its aliases expanded) is ${nestingMessage()}` });
      return { doc, value: undefined, lineCounter, text, diagnostics };
    }
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
