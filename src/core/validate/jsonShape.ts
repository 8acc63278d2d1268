import { visit } from 'jsonc-parser';

/**
 * Deepest nesting of objects and lists accepted in a case (or any JSON/YAML document we read).
 * Real data needs a handful of levels; thousands overflow the stack of every recursive reader
 * (position-reporting parsers, `JSON.stringify` when the run writes the case).
 */
export const MAX_NESTING_DEPTH = 64;

export const nestingMessage = (max = MAX_NESTING_DEPTH): string => `nested more than ${max} levels deep (objects and lists inside each other); flatten it`;

/**
 * Walks a parsed value: whether it nests deeper than `max` (the walk stops there, so its own
 * recursion is bounded) and how many object properties it has in all.
 */
export function measureValue(value: unknown, max = MAX_NESTING_DEPTH): { tooDeep: boolean; properties: number } {
  if (value === null || typeof value !== 'object') return { tooDeep: false, properties: 0 };
  const n = walk(value, 1, max);
  return n < 0 ? { tooDeep: true, properties: 0 } : { tooDeep: false, properties: n };
}

/** Properties under `v` (an object or list at `depth`), or -1 once deeper than `max`. Runs on every case: kept lean. */
function walk(v: object, depth: number, max: number): number {
  if (depth > max) return -1;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && typeof x === 'object') {
        const r = walk(x, depth + 1, max);
        if (r < 0) return -1;
        n += r;
      }
    }
    return n;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    n++;
    const x = o[k];
    if (x !== null && typeof x === 'object') {
      const r = walk(x, depth + 1, max);
      if (r < 0) return -1;
      n += r;
    }
  }
  return n;
}

/** Offset in JSON text of the bracket that opens level `max + 1`, or -1 (strings are skipped). Never recurses. */
export function tooDeepOffset(text: string, max = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > max) return i; }
    else if (c === 125 || c === 93) depth--;
  }
  return -1;
}

/**
 * How many `"` + optional blanks + `:` the text has (every key has one; a string value may hold
 * some too, so this over-counts), counting only up to `stopAbove + 1`.
 */
function keyColons(text: string, stopAbove: number): number {
  let n = 0;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    let j = i - 1;
    let c = text.charCodeAt(j);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(--j);
    if (c === 34 && ++n > stopAbove) break;
  }
  return n;
}

/** A key that occurs twice in one JSON object: its name and the offset and length of the second one. */
export interface DuplicateKey { name: string; offset: number; length: number }

/**
 * Keys repeated inside one object (JSON.parse silently keeps the last value). `properties` is the
 * count of properties in the parsed value: when the text has no more key-like `":` than that,
 * there can be no duplicate and the text is not scanned again.
 */
export function duplicateKeys(text: string, properties: number): DuplicateKey[] {
  if (keyColons(text, properties) <= properties) return [];
  const out: DuplicateKey[] = [];
  const stack: Set<string>[] = [];
  visit(text, {
    onObjectBegin: () => { stack.push(new Set()); },
    onObjectEnd: () => { stack.pop(); },
    onObjectProperty: (name, offset, length) => {
      const keys = stack[stack.length - 1];
      if (!keys) return;
      if (keys.has(name)) out.push({ name, offset, length });
      else keys.add(name);
    },
  }, { disallowComments: true });
  return out;
}
