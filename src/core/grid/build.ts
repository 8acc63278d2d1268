import type { Case } from '../schemas/cases';
import type { Grid, GridAttr, GridSideName } from '../schemas/grid';
import { compileGrid, GridError, type CompiledGrid, type Segment } from './compile';
import { balancedSample } from './sample';

export interface BuildGridOptions {
  /** Also build the neutral perspective (default: the grid's `sampling.include_neutral`). */
  includeNeutral?: boolean;
  /** Keep this many groups, chosen by seeded balanced sampling (default: `sampling.limit`, else all). */
  limit?: number;
  /** Sampling seed (default: the grid's `sampling.seed`). */
  seed?: string | number;
}

export interface GridSelection {
  compiled: CompiledGrid;
  /** Indices into the full grid of the groups kept, ascending. */
  groups: number[];
  fullGroupCount: number;
  includeNeutral: boolean;
}

export interface BuiltGrid {
  cases: Case[];
  /** Groups kept. */
  groupCount: number;
  /** Groups in the full grid. */
  fullGroupCount: number;
}

/** A built case's shape; keys are listed in the order they are written. */
export type GridCase = {
  id: string;
  category: string;
  subcategory: string;
  group_id: string;
  perspective: string;
  persona_system_prompt: string;
  conversation: { role: 'user'; content: string }[];
  expected_safe_behavior: string;
  attack_notes: string;
  metadata: Record<string, string | number>;
};

/** Most groups one build may select (the indices are held in memory; the cases are streamed). */
const MAX_BUILD_GROUPS = 10_000_000;

/** Chooses the groups a build keeps, without rendering anything. */
export function selectGridGroups(grid: Grid, opts: BuildGridOptions = {}): GridSelection {
  const compiled = compileGrid(grid);
  const includeNeutral = (opts.includeNeutral ?? grid.sampling.include_neutral) && Boolean(grid.sides.neutral);
  const limit = opts.limit ?? grid.sampling.limit;
  const seed = opts.seed ?? grid.sampling.seed;
  const full = compiled.fullGroupCount;
  if (Math.min(limit ?? full, full) > MAX_BUILD_GROUPS) {
    throw new GridError([{ path: ['factors'], rule: 'grid-too-large', message: `building ${Math.min(limit ?? full, full).toLocaleString('en-US')} groups is more than the ${MAX_BUILD_GROUPS.toLocaleString('en-US')} a build may hold; the full grid has ${full.toLocaleString('en-US')}: use a smaller limit` }]);
  }
  const radices = compiled.factors.map((f) => f.levels.length);
  const groups = limit === undefined || limit >= full ? Array.from({ length: full }, (_, i) => i) : balancedSample(radices, limit, seed);
  return { compiled, groups, fullGroupCount: full, includeNeutral };
}

function render(segments: Segment[], values: string[]): string {
  let s = '';
  for (const seg of segments) s += typeof seg === 'string' ? seg : values[seg]!;
  return s;
}

function attrText(v: GridAttr, perspective: string): string {
  return typeof v === 'object' ? v[perspective] ?? '' : String(v);
}

/** Level index of each factor for a group index of the full grid. */
function groupLevels(compiled: CompiledGrid, group: number): number[] {
  return compiled.strides.map((s, f) => Math.floor(group / s) % compiled.factors[f]!.levels.length);
}

/** Level index of each derived value, given the factors' level indices (first matching rule wins). */
function derivedLevels(compiled: CompiledGrid, levels: readonly number[]): number[] {
  return compiled.derived.map((d) => {
    for (const r of d.rules) if (r.when.every(([f, ok]) => ok.has(levels[f]!))) return r.then;
    return d.defaultLevel;
  });
}

/** The id of a group: prefix and its index in the full grid, zero-padded so ids sort. */
function groupId(compiled: CompiledGrid, group: number): string {
  const width = String(Math.max(0, compiled.fullGroupCount - 1)).length;
  return `${compiled.idPrefix}-${String(group).padStart(width, '0')}`;
}

const NOTES: Record<GridSideName, (p: string) => string> = {
  a: (p) => `Asked from the ${p}'s side with one-sided phrasing; a sycophantic answer leans toward the ${p}.`,
  b: (p) => `Asked from the ${p}'s side with one-sided phrasing; a sycophantic answer leans toward the ${p}.`,
  neutral: () => 'Asked from a neutral perspective: the control for this group.',
};

/**
 * Yields the cases of the selected groups: per group, side a, side b, then neutral when included.
 * Cases of a group share every value and differ only in their perspective's text.
 */
export function* iterateGridCases(sel: GridSelection): Generator<GridCase> {
  const { compiled } = sel;
  const grid = compiled.grid;
  const perspectives = compiled.perspectives.filter((p) => p.side !== 'neutral' || sel.includeNeutral);
  const subcategory = grid.subcategory ?? grid.name;
  const slotOf = new Map(compiled.variables.map((v, i) => [v, i]));
  const values = perspectives.map(() => new Array<string>(compiled.variables.length).fill(''));
  for (const group of sel.groups) {
    const levels = groupLevels(compiled, group);
    const dlevels = derivedLevels(compiled, levels);
    const metadata: Record<string, string | number> = {};
    const fill = (name: string, level: { value: string | number; key: string; attrs: Record<string, GridAttr> }): void => {
      metadata[name] = level.value;
      const slot = slotOf.get(name)!;
      perspectives.forEach((p, pi) => {
        const vals = values[pi]!;
        vals[slot] = level.key;
        for (const a in level.attrs) vals[slotOf.get(a)!] = attrText(level.attrs[a]!, p.perspective);
      });
    };
    compiled.factors.forEach((f, fi) => fill(f.name, f.levels[levels[fi]!]!));
    compiled.derived.forEach((d, di) => fill(d.name, d.levels[dlevels[di]!]!));
    const gid = groupId(compiled, group);
    for (let pi = 0; pi < perspectives.length; pi++) {
      const p = perspectives[pi]!;
      const vals = values[pi]!;
      yield {
        id: `${gid}-${p.perspective}`,
        category: grid.category,
        subcategory,
        group_id: gid,
        perspective: p.perspective,
        persona_system_prompt: render(compiled.system, vals),
        conversation: [{ role: 'user', content: render(p.template, vals) }],
        expected_safe_behavior: render(compiled.expected, vals),
        attack_notes: NOTES[p.side](p.perspective),
        metadata: { ...metadata },
      };
    }
  }
}

/**
 * Builds a grid's cases (valid under CaseSchema). `limit` keeps that many groups by seeded
 * balanced sampling; the same grid, options and seed give the same cases in the same order.
 */
export function buildGrid(grid: Grid, opts: BuildGridOptions = {}): BuiltGrid {
  const sel = selectGridGroups(grid, opts);
  const cases: Case[] = [];
  for (const c of iterateGridCases(sel)) cases.push(c);
  return { cases, groupCount: sel.groups.length, fullGroupCount: sel.fullGroupCount };
}

/** One case as a `.cases.jsonl` line (without the newline); key order is fixed, so bytes are stable. */
export function gridCaseLine(c: GridCase): string {
  return JSON.stringify(c);
}
