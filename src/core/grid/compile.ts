import type { Grid, GridAttr, GridLevel, GridSideName } from '../schemas/grid';
import { findPlaceholders } from '../validate/placeholders';
import type { PathProblem } from '../validate/zodIssues';
import { ExpectedError } from '../errors';

/** A level with its value, its key (the value as text) and its attributes. */
interface CompiledLevel {
  value: string | number;
  key: string;
  attrs: Record<string, GridAttr>;
}

interface CompiledDimension {
  name: string;
  levels: CompiledLevel[];
}

interface CompiledRule {
  /** [factor index, allowed level indices] pairs; all must hold. */
  when: [number, Set<number>][];
  then: number;
}

interface CompiledDerived extends CompiledDimension {
  rules: CompiledRule[];
  defaultLevel: number;
}

interface CompiledPerspective {
  side: GridSideName;
  perspective: string;
  template: Segment[];
}

/** A template split once into literal text and variable slots, so rendering is a join. */
export type Segment = string | number;

export interface CompiledGrid {
  grid: Grid;
  factors: CompiledDimension[];
  derived: CompiledDerived[];
  /** Every variable a template can use, in slot order. */
  variables: string[];
  perspectives: CompiledPerspective[];
  system: Segment[];
  expected: Segment[];
  idPrefix: string;
  /** Number of groups in the full grid (product of the factors' level counts). */
  fullGroupCount: number;
  /** Mixed-radix strides: group index = Σ levelIndex[f] × stride[f] (first factor slowest). */
  strides: number[];
}

function levelOf(l: GridLevel): CompiledLevel {
  if (typeof l === 'object') {
    const { value, ...attrs } = l;
    return { value, key: String(value), attrs: attrs as Record<string, GridAttr> };
  }
  return { value: l, key: String(l), attrs: {} };
}

/** The perspectives a grid declares, side a first. */
export function gridPerspectives(grid: Grid): { side: GridSideName; perspective: string; template: string }[] {
  const out: { side: GridSideName; perspective: string; template: string }[] = [
    { side: 'a', ...grid.sides.a },
    { side: 'b', ...grid.sides.b },
  ];
  if (grid.sides.neutral) out.push({ side: 'neutral', ...grid.sides.neutral });
  return out;
}

/** The id prefix of a grid's cases: `id_prefix`, else the name made id-safe. */
function gridIdPrefix(grid: Grid): string {
  return grid.id_prefix ?? (grid.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'grid');
}

/**
 * Problems a schema cannot see: duplicate levels, rules naming unknown factors or levels,
 * attribute names that clash, per-perspective texts that miss a perspective. Placeholders are
 * checked separately (they need source positions). Each problem has the path it is about.
 */
export function gridProblems(grid: Grid): PathProblem[] {
  const out: PathProblem[] = [];
  const perspectives = gridPerspectives(grid).map((p) => p.perspective);
  const seenPerspective = new Map<string, string>();
  for (const p of gridPerspectives(grid)) {
    const first = seenPerspective.get(p.perspective);
    if (first) out.push({ path: ['sides', p.side, 'perspective'], rule: 'duplicate-perspective', message: `perspective "${p.perspective}" is already used by side ${first}` });
    else seenPerspective.set(p.perspective, p.side);
  }
  const owner = new Map<string, string>(); // variable name → what defines it
  const claim = (varName: string, by: string, path: (string | number)[]): void => {
    const prev = owner.get(varName);
    if (prev && prev !== by) out.push({ path, rule: 'duplicate-variable', message: `"${varName}" is already defined by ${prev}; every factor, derived value and attribute needs its own name` });
    else owner.set(varName, by);
  };
  const dims: [string, 'factors' | 'derived', GridLevel[]][] = [
    ...Object.entries(grid.factors).map(([n, f]) => [n, 'factors', f.levels] as [string, 'factors', GridLevel[]]),
    ...Object.entries(grid.derived).map(([n, d]) => [n, 'derived', d.levels] as [string, 'derived', GridLevel[]]),
  ];
  for (const [dim, section, levels] of dims) {
    const by = `${section === 'factors' ? 'factor' : 'derived value'} "${dim}"`;
    claim(dim, by, [section, dim]);
    const keys = new Map<string, number>();
    const attrSets = levels.map((l) => Object.keys(levelOf(l).attrs));
    const allAttrs = [...new Set(attrSets.flat())];
    levels.forEach((l, i) => {
      const lv = levelOf(l);
      const first = keys.get(lv.key);
      if (first !== undefined) out.push({ path: [section, dim, 'levels', i], rule: 'duplicate-level', message: `level "${lv.key}" of ${by} is listed twice (first as level ${first + 1})` });
      else keys.set(lv.key, i);
      for (const a of allAttrs) {
        if (!(a in lv.attrs)) out.push({ path: [section, dim, 'levels', i], rule: 'missing-attribute', message: `level "${lv.key}" of ${by} has no "${a}", which its other levels define` });
      }
      for (const [a, v] of Object.entries(lv.attrs)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(a)) { out.push({ path: [section, dim, 'levels', i, a], rule: 'invalid-key', message: `attribute "${a}" cannot be a {{placeholder}}: use letters, digits and _` }); continue; }
        claim(a, by, [section, dim, 'levels', i, a]);
        if (typeof v === 'object') {
          for (const p of perspectives) if (!(p in v)) out.push({ path: [section, dim, 'levels', i, a], rule: 'missing-perspective', message: `"${a}" gives per-perspective texts but none for "${p}"` });
          for (const k of Object.keys(v)) if (!perspectives.includes(k)) out.push({ path: [section, dim, 'levels', i, a, k], rule: 'unknown-perspective', message: `"${k}" is not a perspective of this grid (${perspectives.join(', ')})` });
        }
      }
    });
  }
  for (const [dname, d] of Object.entries(grid.derived)) {
    const levelKeys = new Set(d.levels.map((l) => levelOf(l).key));
    const checkLevel = (v: string | number, path: (string | number)[]): void => {
      if (!levelKeys.has(String(v))) out.push({ path, rule: 'unknown-level', message: `"${v}" is not a level of derived value "${dname}" (${[...levelKeys].join(', ')})` });
    };
    checkLevel(d.default, ['derived', dname, 'default']);
    d.rules.forEach((r, i) => {
      checkLevel(r.then, ['derived', dname, 'rules', i, 'then']);
      for (const [f, want] of Object.entries(r.when)) {
        const factor = grid.factors[f];
        if (!factor) { out.push({ path: ['derived', dname, 'rules', i, 'when', f], rule: 'invalid-key', message: `"${f}" is not a factor (${Object.keys(grid.factors).join(', ')})` }); continue; }
        const fl = new Set(factor.levels.map((l) => levelOf(l).key));
        (Array.isArray(want) ? want : [want]).forEach((w, j) => {
          if (!fl.has(String(w))) out.push({ path: Array.isArray(want) ? ['derived', dname, 'rules', i, 'when', f, j] : ['derived', dname, 'rules', i, 'when', f], rule: 'unknown-level', message: `"${w}" is not a level of factor "${f}" (${[...fl].join(', ')})` });
        });
      }
    });
  }
  return out;
}

/** Variables every template of the grid may use: factors, derived values and their attributes. */
export function gridVariables(grid: Grid): string[] {
  const vars = new Set<string>();
  for (const section of [grid.factors, grid.derived] as Record<string, { levels: GridLevel[] }>[]) {
    for (const [n, d] of Object.entries(section)) {
      vars.add(n);
      for (const l of d.levels) for (const a of Object.keys(levelOf(l).attrs)) vars.add(a);
    }
  }
  return [...vars];
}

function compileTemplate(template: string, slots: Map<string, number>): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const p of findPlaceholders(template)) {
    const slot = slots.get(p.name);
    if (slot === undefined) continue; // validation reports it; rendering keeps it as written
    if (p.start > at) out.push(template.slice(at, p.start));
    out.push(slot);
    at = p.end;
  }
  if (at < template.length) out.push(template.slice(at));
  return out;
}

/** Thrown when a grid that passed the schema still cannot be built; `problems` say where. */
export class GridError extends ExpectedError {
  override name = 'GridError';
  constructor(readonly problems: PathProblem[]) {
    super(problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('\n'));
  }
}

/** Prepares a schema-valid grid for building; throws GridError on the problems gridProblems finds. */
export function compileGrid(grid: Grid): CompiledGrid {
  const problems = gridProblems(grid);
  if (problems.length > 0) throw new GridError(problems);
  const factors = Object.entries(grid.factors).map(([name, f]) => ({ name, levels: f.levels.map(levelOf) }));
  const factorIndex = new Map(factors.map((f, i) => [f.name, i]));
  const derived: CompiledDerived[] = Object.entries(grid.derived).map(([name, d]) => {
    const levels = d.levels.map(levelOf);
    const idx = (v: string | number): number => levels.findIndex((l) => l.key === String(v));
    return {
      name,
      levels,
      defaultLevel: idx(d.default),
      rules: d.rules.map((r) => ({
        then: idx(r.then),
        when: Object.entries(r.when).map(([f, want]) => {
          const fi = factorIndex.get(f)!;
          const keys = new Set((Array.isArray(want) ? want : [want]).map(String));
          const allowed = new Set<number>();
          factors[fi]!.levels.forEach((l, li) => { if (keys.has(l.key)) allowed.add(li); });
          return [fi, allowed] as [number, Set<number>];
        }),
      })),
    };
  });
  const variables = gridVariables(grid);
  const slots = new Map(variables.map((v, i) => [v, i]));
  const strides: number[] = new Array<number>(factors.length);
  let full = 1;
  for (let f = factors.length - 1; f >= 0; f--) {
    strides[f] = full;
    full *= factors[f]!.levels.length;
  }
  if (!Number.isSafeInteger(full)) throw new GridError([{ path: ['factors'], rule: 'grid-too-large', message: `the full grid has about ${full.toExponential(2)} groups, more than can be indexed; use fewer levels` }]);
  return {
    grid,
    factors,
    derived,
    variables,
    perspectives: gridPerspectives(grid).map((p) => ({ side: p.side, perspective: p.perspective, template: compileTemplate(p.template, slots) })),
    system: compileTemplate(grid.system, slots),
    expected: compileTemplate(grid.expected_safe_behavior, slots),
    idPrefix: gridIdPrefix(grid),
    fullGroupCount: full,
    strides,
  };
}
