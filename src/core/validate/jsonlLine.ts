import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { CaseSchema, JUDGE_PLACEHOLDERS } from '../schemas/cases';
import type { Severity } from '../diagnostics';
import { zodIssuesToProblems, type PathProblem } from './zodIssues';
import { findPlaceholders } from './placeholders';
import { duplicateKeys, measureValue, nestingMessage, tooDeepOffset } from './jsonShape';

/** A problem on one JSONL line; columns are 1-based, end exclusive, within that line. */
interface LineProblem {
  column: number;
  endColumn: number;
  severity: Severity;
  rule: string;
  message: string;
  data?: Record<string, unknown>;
}

/** What checking one line yields: its problems and, when it has one, the case id. */
export interface LineResult {
  problems: LineProblem[];
  id?: string;
  /** Parsed case (only when the caller asked to keep values). */
  value?: unknown;
}

const KNOWN_PLACEHOLDERS = new Set<string>(JUDGE_PLACEHOLDERS);
const EMPTY: LineProblem[] = [];

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes (is there a trailing comma?)',
  ValueExpected: 'expected a value (is there a trailing comma?)',
  ColonExpected: 'expected ":" after the property name',
  CommaExpected: 'expected "," between entries',
  CloseBraceExpected: 'expected "}" to close the object',
  CloseBracketExpected: 'expected "]" to close the list',
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string (control characters must be escaped)',
};

function syntaxProblem(e: ParseError, text: string): LineProblem {
  const code = printParseErrorCode(e.error);
  const start = Math.min(e.offset, text.length);
  const end = Math.max(start + Math.max(e.length, 1), start + 1);
  return { column: start + 1, endColumn: end + 1, severity: 'error', rule: 'json-syntax', message: `JSON syntax: ${SYNTAX_MESSAGES[code] ?? code}` };
}

/** Maps a path problem to a column range using the parse tree of the line. */
function placeProblem(tree: Node | undefined, p: PathProblem): LineProblem {
  let node: Node | undefined;
  if (tree) {
    if (p.missing) node = findNodeAtLocation(tree, p.path.slice(0, -1));
    else {
      node = findNodeAtLocation(tree, p.path);
      // A bad key (e.g. in a record) is best shown on the key itself.
      if (node && p.rule === 'invalid-key' && node.parent?.type === 'property') node = node.parent.children?.[0];
    }
  }
  if (!node) node = tree;
  let start = node?.offset ?? 0;
  let length = node?.length ?? 1;
  if (p.missing && node?.type === 'object') length = 1; // the opening brace, not the whole object
  if (node?.type === 'object' || node?.type === 'array') {
    // Point at the key that holds this object when there is one: easier to see than a brace.
    const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    if (key) { start = key.offset; length = key.length; }
  }
  return { column: start + 1, endColumn: start + Math.max(length, 1) + 1, severity: 'error', rule: p.rule, message: p.message, ...(p.data ? { data: p.data } : {}) };
}

/** Finds the column range of the `id` value, for duplicate-id reports. */
export function idRangeInLine(text: string): { column: number; endColumn: number } {
  const tree = parseTree(text);
  const node = tree ? findNodeAtLocation(tree, ['id']) : undefined;
  if (!node) return { column: 1, endColumn: Math.max(text.length, 1) + 1 };
  return { column: node.offset + 1, endColumn: node.offset + node.length + 1 };
}

function placeholderProblems(text: string, tree: Node | undefined, judgePrompt: string): LineProblem[] {
  const unknown = findPlaceholders(judgePrompt).filter((p) => !KNOWN_PLACEHOLDERS.has(p.name));
  if (unknown.length === 0) return EMPTY;
  tree ??= parseTree(text);
  const node = tree ? findNodeAtLocation(tree, ['judge_prompt']) : undefined;
  const out: LineProblem[] = [];
  for (const p of unknown) {
    // Search the raw JSON text for the placeholder inside the value; escapes never occur inside `{{name}}`.
    const raw = judgePrompt.slice(p.start, p.end);
    const at = node ? text.indexOf(raw, node.offset) : -1;
    const start = at >= 0 ? at : node?.offset ?? 0;
    const length = at >= 0 ? raw.length : node?.length ?? 1;
    out.push({
      column: start + 1,
      endColumn: start + length + 1,
      severity: 'error',
      rule: 'unknown-placeholder',
      message: `judge_prompt placeholder {{${p.name}}} is not filled by anything; known: ${JUDGE_PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}`,
      data: { placeholder: p.name },
    });
  }
  return out;
}

/**
 * Checks one JSONL line (without its newline). The fast path is `JSON.parse` plus the schema;
 * only a line with a problem is parsed again with positions, so valid data costs little more
 * than parsing it.
 */
function tooDeepProblem(text: string): LineProblem {
  const at = Math.max(0, tooDeepOffset(text));
  return { column: at + 1, endColumn: at + 2, severity: 'error', rule: 'too-deep', message: `the case is ${nestingMessage()}` };
}

export function checkCaseLine(text: string, keepValue = false): LineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The position-reporting parser recurses: refuse deep nesting before it overflows the stack.
    if (tooDeepOffset(text) >= 0) return { problems: [tooDeepProblem(text)] };
    const errors: ParseError[] = [];
    parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    return {
      problems: [first ? syntaxProblem(first, text) : { column: 1, endColumn: text.length + 1, severity: 'error', rule: 'json-syntax', message: 'JSON syntax error' }],
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    return { problems: [{ column: 1, endColumn: text.length + 1, severity: 'error', rule: 'not-an-object', message: `each line must be a JSON object (a case), not ${what}` }] };
  }
  const shape = measureValue(value);
  if (shape.tooDeep) return { problems: [tooDeepProblem(text)] };
  const duplicates: LineProblem[] = duplicateKeys(text, shape.properties).map((k) => ({
    column: k.offset + 1, endColumn: k.offset + k.length + 1, severity: 'error', rule: 'duplicate-key',
    message: `duplicate key "${k.name}" in one object: only the last value would be used`, data: { key: k.name },
  }));
  const parsed = CaseSchema.safeParse(value);
  const rawId = (value as { id?: unknown }).id;
  const id = typeof rawId === 'string' && rawId.length > 0 ? rawId : undefined;
  const judgePrompt = (value as { judge_prompt?: unknown }).judge_prompt;
  if (parsed.success) {
    let problems = typeof judgePrompt === 'string' && judgePrompt.includes('{{') ? placeholderProblems(text, undefined, judgePrompt) : EMPTY;
    if (duplicates.length) problems = [...duplicates, ...problems];
    return { problems, ...(id !== undefined ? { id } : {}), ...(keepValue ? { value: parsed.data } : {}) };
  }
  const tree = parseTree(text);
  const problems = zodIssuesToProblems(parsed.error.issues, value).map((p) => placeProblem(tree, p));
  for (const d of duplicates) problems.push(d);
  if (typeof judgePrompt === 'string' && judgePrompt.includes('{{')) for (const p of placeholderProblems(text, tree, judgePrompt)) problems.push(p);
  return { problems, ...(id !== undefined ? { id } : {}) };
}
