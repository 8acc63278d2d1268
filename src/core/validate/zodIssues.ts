import type { z } from 'zod';

/** A schema problem with its path into the parsed value, before it gets a position. */
export interface PathProblem {
  path: (string | number)[];
  message: string;
  rule: string;
  /** When true, the problem is about a key that is absent: point at its parent. */
  missing?: boolean;
  data?: Record<string, unknown>;
}

type Issue = z.core.$ZodIssue;

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'array': return 'a list';
    case 'object': return 'an object';
    case 'int': return 'an integer';
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return 'true or false';
    default: return expected;
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'the value' : path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Turns zod issues into messages a person understands, each with the path it is about. */
export function zodIssuesToProblems(issues: readonly Issue[], input: unknown, prefix: (string | number)[] = []): PathProblem[] {
  const out: PathProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    const value = valueAt(input, issue.path);
    const last = path[path.length - 1];
    const name = fieldName(path);
    switch (issue.code) {
      case 'invalid_type': {
        if (value === undefined && typeof last === 'string') {
          out.push({ path, missing: true, rule: 'missing-field', message: `missing required field "${last}"`, data: { field: last } });
        } else {
          out.push({ path, rule: 'wrong-type', message: `"${name}" should be ${expectedName(issue.expected)}, not ${describeType(value)}` });
        }
        break;
      }
      case 'invalid_value': {
        const options = issue.values.map((v) => String(v)).join(', ');
        const rule = last === 'role' ? 'unknown-role' : 'invalid-value';
        const what = last === 'role' ? 'unknown role' : `invalid value for "${name}":`;
        out.push({ path, rule, message: `${what} ${JSON.stringify(value)}; use one of ${options}` });
        break;
      }
      case 'too_small': {
        if (last === 'conversation' || (path.includes('conversation') && Array.isArray(value))) {
          out.push({ path, rule: 'empty-conversation', message: 'conversation is empty: give at least one turn' });
        } else if (issue.origin === 'string' && issue.minimum === 1) {
          out.push({ path, rule: 'empty-value', message: `"${name}" must not be empty` });
        } else {
          out.push({ path, rule: 'out-of-range', message: `"${name}" is ${JSON.stringify(value)}: ${issue.message.replace(/^Too small: /, '')}` });
        }
        break;
      }
      case 'too_big':
        out.push({ path, rule: 'out-of-range', message: `"${name}" is ${JSON.stringify(value)}: ${issue.message.replace(/^Too big: /, '')}` });
        break;
      case 'invalid_union': {
        // Report the branch that matches the value's shape; a value no branch accepts is a type error.
        const branches = issue.errors.filter(
          (branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'),
        );
        const chosen = branches[0];
        if (chosen) for (const p of zodIssuesToProblems(chosen, value, path)) out.push(p);
        else {
          const kinds = issue.errors.map((b) => (b[0]?.code === 'invalid_type' ? expectedName(b[0].expected) : '?'));
          const rule = value === undefined ? 'missing-field' : 'wrong-type';
          const message = value === undefined && typeof last === 'string'
            ? `missing required field "${last}"`
            : `"${name}" should be ${kinds.join(' or ')}, not ${describeType(value)}`;
          out.push({ path, rule, message, missing: value === undefined, ...(value === undefined ? { data: { field: last } } : {}) });
        }
        break;
      }
      case 'invalid_format':
        out.push({ path, rule: 'invalid-format', message: `"${name}": ${issue.message}` });
        break;
      case 'invalid_key':
        out.push({ path, rule: 'invalid-key', message: `invalid key "${String(last)}": ${issue.issues[0]?.message ?? issue.message}` });
        break;
      default:
        out.push({ path, rule: 'schema', message: `"${name}": ${issue.message}` });
    }
  }
  return out;
}
