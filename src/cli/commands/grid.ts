import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GridError, GridFileError, gridCaseLine, iterateGridCases, readGridFile, selectGridGroups, writeGridCasesFile } from '../../core/grid';
import { UsageError, UserError, type CliIO, type Command } from '../usage';

const GRID_HELP = `Usage: awb grid build FILE.grid.yaml [--include-neutral] [--limit N] [--seed S] [--out F]

Builds a sycophancy grid's cases: one case per perspective per group (side a, side b, and the
neutral perspective with --include-neutral), each with group_id, perspective and the factor
values in metadata. Writes a .cases.jsonl (default: beside FILE, named after it) and prints the
number of groups and cases and the full grid's size.

  --include-neutral   also build the neutral perspective (default: the grid's sampling.include_neutral)
  --limit N           keep N groups chosen by seeded balanced sampling: every level of every factor
                      appears as evenly as N allows (default: the grid's sampling.limit, else all)
  --seed S            sampling seed (default: the grid's sampling.seed); the same seed gives the
                      same file byte for byte
  --out F             output file, or - for stdout`;

function display(cwd: string, p: string): string {
  const r = relative(cwd, p);
  return !r || r.startsWith('..') ? p : r;
}

function defaultOut(file: string): string {
  const base = basename(file).replace(/\.grid\.ya?ml$/i, '');
  return join(dirname(file), `${base}.cases.jsonl`);
}

/** Parses --seed: digits are a number (as in YAML), anything else a string. */
function parseSeed(s: string | undefined): string | number | undefined {
  if (s === undefined) return undefined;
  return /^-?\d{1,15}$/.test(s) ? Number(s) : s;
}

function parseLimit(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`--limit must be a whole number of groups, at least 1 (got "${s}")`);
  return Number(s);
}

async function build(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'include-neutral': { type: 'boolean' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { io.out(GRID_HELP); return 0; }
  if (positionals.length !== 1) throw new UsageError('build needs exactly one FILE.grid.yaml');
  const file = resolve(io.cwd, positionals[0]!);
  if (!existsSync(file)) throw new UserError(`file not found: ${positionals[0]}`);
  let grid;
  try {
    grid = await readGridFile(file);
  } catch (err) {
    if (err instanceof GridFileError) {
      for (const d of err.diagnostics) io.err(`${display(io.cwd, d.file)}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.rule}]`);
      throw new UserError(`${positionals[0]} is not a valid grid (${err.diagnostics.length} error${err.diagnostics.length === 1 ? '' : 's'})`);
    }
    throw err;
  }
  const limit = parseLimit(values.limit);
  const seed = parseSeed(values.seed);
  let sel;
  try {
    sel = selectGridGroups(grid, {
      ...(values['include-neutral'] ? { includeNeutral: true } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(seed !== undefined ? { seed } : {}),
    });
  } catch (err) {
    if (err instanceof GridError) throw new UserError(err.message);
    throw err;
  }
  if (values['include-neutral'] && !grid.sides.neutral) io.err('awb grid build: this grid has no neutral perspective; building sides a and b only');
  const out = values.out === '-' ? '-' : resolve(io.cwd, values.out ?? defaultOut(file));
  let cases = 0;
  const perspectives = [grid.sides.a.perspective, grid.sides.b.perspective, ...(sel.includeNeutral ? [grid.sides.neutral!.perspective] : [])];
  if (out === '-') for (const c of iterateGridCases(sel)) { io.out(gridCaseLine(c)); cases++; }
  else cases = writeGridCasesFile(sel, out).cases;
  const summary = `${sel.groups.length} groups, ${cases} cases (${perspectives.join(', ')}); full grid: ${sel.fullGroupCount} groups` +
    (out === '-' ? '' : ` → ${display(io.cwd, out)}`);
  (out === '-' ? io.err : io.out)(summary);
  return 0;
}

export const gridCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') { io.out(GRID_HELP); return sub ? 0 : 2; }
  if (sub === 'build') return build(rest, io);
  throw new UsageError(`unknown subcommand "grid ${sub}" (known: build)`);
};
