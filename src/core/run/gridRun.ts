import { GridError } from '../grid/compile';
import { writeGridCasesFile } from '../grid/writeCases';
import { ConfigError, type ResolvedGrid, type ResolvedRunConfig } from './config';
import { diffGridPrints, gridPrint, ResumeMismatchError } from './fingerprint';
import type { RunSummary } from './progress';
import type { RunJson } from '../runFolder';

/**
 * Builds a grid run's cases into `path` (default the run's `grid.cases.jsonl`), streamed and
 * atomic. Same grid, options and seed give the same bytes, so rebuilding at each session is safe.
 */
export function buildGridCases(grid: ResolvedGrid, path = grid.casesFile): NonNullable<RunSummary['grid']> {
  try {
    const w = writeGridCasesFile(grid.spec, path, { includeNeutral: grid.includeNeutral, seed: grid.seed, ...(grid.limit !== undefined ? { limit: grid.limit } : {}) });
    return { groups: w.groups, cases: w.cases, fullGroupCount: w.fullGroupCount, perspectives: w.perspectives };
  } catch (err) {
    if (err instanceof GridError) throw new ConfigError(err.message);
    throw err;
  }
}

/**
 * Before rebuilding the cases of an existing run: a changed grid (content, neutral, limit, seed)
 * refuses to resume, and the run folder's cases file is left as it was.
 */
export function checkGridResume(cfg: ResolvedRunConfig, existing: RunJson | undefined): void {
  if (!existing) return;
  const changes = diffGridPrints(existing.fingerprint.grid, gridPrint(cfg));
  if (changes.length) throw new ResumeMismatchError(cfg.runId, changes);
}

/** run.json's `config`: the resolved config without the parsed grid (kept once, as run.json's `grid`). */
export function storedConfig(cfg: ResolvedRunConfig): RunJson['config'] {
  const { dryRun: _d, notices: _n, grid, ...rest } = cfg;
  if (!grid) return rest;
  const { spec: _s, ...g } = grid;
  return { ...rest, grid: g };
}
