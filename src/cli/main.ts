import { isExpectedError } from '../core/errors';
import { UsageError, UserError, type CliIO, type Command } from './usage';
import { ioMessage, isIoError } from '../core/validate/fileCheck';
import { validateCommand } from './commands/validate';
import { runCommand } from './commands/run';
import { scoreCommand } from './commands/score';
import { reportCommand } from './commands/report';
import { gridCommand } from './commands/grid';
import { labelsCommand } from './commands/labels';
import { registryCommand } from './commands/registry';
import { serveMockCommand } from './commands/serveMock';
import { compareCommand } from './commands/compare';
import { mergeCommand } from './commands/merge';
import { endpointsCommand } from './commands/endpoints';

const HELP = `awb — Alignment Workbench on the command line

Usage: awb <command> [options]

Commands:
  validate PATH...      check dataset, card, personas, models, bench and grid files
  run [FILE.bench.yaml] run a benchmark (cases × personas × models, judged); resumable
  score RUN_DIR         judge a run's answers afterwards (--judge-model M)
  report RUN_DIR        rebuild a run's results.csv, results.parquet and summary.csv
  merge SHARD_DIR...    join the shards of a run (awb run --shard I/N) into one run folder
  grid build FILE       build a sycophancy grid's cases (.cases.jsonl)
  labels export RUN     write a run's human stance labels as CSV and JSONL
  registry SUBCOMMAND   publish, find, fetch, rate and evaluate datasets; serve the registry over HTTP
  serve-mock            a local OpenAI-compatible server with canned answers: try a run with no key
  compare BASE NEW      compare two runs key by key (regressions, paired tests); --fail-on for CI
  endpoints approve|list|revoke   endpoints you allow to receive keys when a file names them

Run "awb <command> --help" for a command's options.`;

/** Every subcommand by name; each lives in its own file under commands/. */
const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  run: runCommand,
  score: scoreCommand,
  report: reportCommand,
  merge: mergeCommand,
  grid: gridCommand,
  labels: labelsCommand,
  registry: registryCommand,
  'serve-mock': serveMockCommand,
  compare: compareCommand,
  endpoints: endpointsCommand,
};

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { io.out(HELP); return name ? 0 : 2; }
  if (name === '--version') { io.out(process.env.AWB_VERSION ?? '0.1.0'); return 0; }
  const command = COMMANDS[name];
  if (!command) { io.err(`awb: unknown command "${name}"\n\n${HELP}`); return 2; }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`awb ${name}: ${err.message}\nRun "awb ${name} --help" for usage.`);
      return 2;
    }
    if (err instanceof UserError || isExpectedError(err)) { io.err(`awb ${name}: ${err.message}`); return 1; }
    // A file the command cannot read or write (permissions, a folder, a full disk): say which and why, no stack.
    if (isIoError(err)) { io.err(`awb ${name}: ${err.path ? `${err.path}: ` : ''}${ioMessage(err)}`); return 1; }
    io.err(`awb ${name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  // Under a file-size limit (ulimit -f) the kernel also sends SIGXFSZ, whose default action kills
  // the process mid-write; handled, the write fails with EFBIG and is reported like a full disk.
  if (process.platform !== 'win32') process.on('SIGXFSZ', () => { /* the failing write reports it */ });
  const io: CliIO = {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => process.stderr.write(s + '\n'),
    isTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    env: process.env,
  };
  main(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => { process.stderr.write(`awb: ${String(err)}\n`); process.exitCode = 1; },
  );
}
