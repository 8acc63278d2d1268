import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { rebuildReport } from '../../core';
import { UsageError, UserError, type Command } from '../usage';

const REPORT_HELP = `Usage: awb report RUN_DIR

Rebuilds results.csv, results.parquet and summary.csv from the run's partials.jsonl: one row per
key (the latest complete row), whatever state the run was left in; and sycophancy.csv for a grid run.`;

export const reportCommand: Command = async (argv, io) => {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) { io.out(REPORT_HELP); return 0; }
  if (positionals.length !== 1) throw new UsageError('needs exactly one RUN_DIR');
  const runDir = resolve(io.cwd, positionals[0]!);
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new UserError(`run folder not found: ${positionals[0]}`);
  try {
    const r = await rebuildReport(runDir);
    const c = r.counts;
    io.out(`${r.rows} rows (${c.done} done, ${c.errors} errors, ${c.judge_errors} judge errors, ${c.judge_pending} not scored)${r.tornTail ? '; a torn last line of partials.jsonl was left out' : ''}`);
    for (const f of r.files) io.out(`  ${relative(io.cwd, f) || f}`);
    return 0;
  } catch (err) {
    throw err;
  }
};
