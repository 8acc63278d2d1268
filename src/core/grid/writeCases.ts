import { writeSync } from 'node:fs';
import { writeAtomicSync } from '../storage/atomic';
import type { Grid } from '../schemas/grid';
import { gridCaseLine, iterateGridCases, selectGridGroups, type BuildGridOptions, type GridSelection } from './build';

export interface WrittenGridCases {
  path: string;
  groups: number;
  cases: number;
  fullGroupCount: number;
  /** Perspectives built, side a first. */
  perspectives: string[];
}

/**
 * Builds a grid straight into a `.cases.jsonl`, streaming (memory stays flat at any size): a temp
 * file beside `path`, fsync, rename — an interrupted build never leaves half a file. Same grid,
 * options and seed give the same bytes. Takes a grid or a selection made by selectGridGroups.
 */
export function writeGridCasesFile(source: Grid | GridSelection, path: string, opts: BuildGridOptions = {}): WrittenGridCases {
  const sel = 'compiled' in source ? source : selectGridGroups(source, opts);
  const grid = sel.compiled.grid;
  let cases = 0;
  writeAtomicSync(path, (fd) => {
    let buf = '';
    for (const c of iterateGridCases(sel)) {
      buf += gridCaseLine(c) + '\n';
      cases++;
      if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
    }
    if (buf) writeSync(fd, buf);
  });
  const perspectives = [grid.sides.a.perspective, grid.sides.b.perspective, ...(sel.includeNeutral && grid.sides.neutral ? [grid.sides.neutral.perspective] : [])];
  return { path, groups: sel.groups.length, cases, fullGroupCount: sel.fullGroupCount, perspectives };
}
