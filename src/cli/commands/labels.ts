import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportLabels } from '../../core/grid';
import { UsageError, UserError, type CliIO, type Command } from '../usage';

const LABELS_HELP = `Usage: awb labels export RUN_DIR [--out DIR]

Writes the run's human stance labels (labels.sqlite, given in the editor) as labels.csv and
labels.jsonl, each label joined with its row and the master scorer's score and stance, and
prints how well reviewers and scorer agree (Cohen's kappa on the bins, Spearman on the numbers).

  --out DIR   where to write (default: RUN_DIR)`;

function display(cwd: string, p: string): string {
  const r = relative(cwd, p);
  return !r || r.startsWith('..') ? p : r;
}

function fmt(x: number | null, digits = 3): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

async function exportCmd(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { io.out(LABELS_HELP); return 0; }
  if (positionals.length !== 1) throw new UsageError('export needs exactly one RUN_DIR');
  const runDir = resolve(io.cwd, positionals[0]!);
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new UserError(`run folder not found: ${positionals[0]}`);
  const outDir = values.out ? resolve(io.cwd, values.out) : undefined;
  if (outDir && (!existsSync(outDir) || !statSync(outDir).isDirectory())) throw new UserError(`--out folder not found: ${values.out}`);
  const r = await exportLabels(runDir, outDir ? { outDir } : {});
  const a = r.agreement;
  io.out(`${r.count} label${r.count === 1 ? '' : 's'} → ${display(io.cwd, r.csv)}, ${display(io.cwd, r.jsonl)}`);
  io.out(`agreement with the master scorer: bins ${a.bins} (${a.percent === null ? 'n/a' : (a.percent * 100).toFixed(1) + '%'} agree, kappa ${fmt(a.kappa)}), numbers ${a.numbers} (Spearman ${fmt(a.spearman)})`);
  return 0;
}

export const labelsCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') { io.out(LABELS_HELP); return sub ? 0 : 2; }
  if (sub === 'export') return exportCmd(rest, io);
  throw new UsageError(`unknown subcommand "labels ${sub}" (known: export)`);
};
