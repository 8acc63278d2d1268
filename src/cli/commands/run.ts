import { relative } from 'node:path';
import {
  ConfigError, DataError, EndpointPolicyError, describeEndpoints, displayPath, resolveRunConfig, resumeCommand, runBenchmark, shellQuote,
  type ResolvedRunConfig, type RunSummary,
} from '../../core';
import { printRefusal } from '../endpointGate';
import { cliGarbageCollector } from '../garbageCollector';
import { printMeasured, rejudgeCommand } from '../measured';
import { ProgressPrinter } from '../progressPrinter';
import { parseRunArgs } from '../runArgs';
import { UsageError, UserError, type CliIO, type Command } from '../usage';

const RUN_HELP = `Usage: awb run [FILE.bench.yaml] [options]

Runs every case × persona × model, judges each answer, and writes results/{run_id}/:
partials.jsonl, state.sqlite, results.csv, results.parquet, summary.csv, run.json, run.log.

  --dataset FILE          cases file (*.cases.jsonl|yaml) or dataset card; repeatable
  --grid FILE.grid.yaml   a sycophancy grid: builds its cases into the run folder, scores them
                          with its master scorer, writes sycophancy.csv (not with --dataset)
  --include-neutral       with --grid: also ask from the neutral perspective
  --seed S                with --grid: the balanced sampling seed (default: the grid's)
  --models a,b            model slugs: entries of the roster when there is one (a slug it
                          lacks is refused), else model names on the default provider
                          (OPENAI_API_KEY and OPENAI_BASE_URL); a .yaml/.yml/.json file that
                          exists is the roster (as --models-file), every model in it
  --model SLUG            one model (with a roster from --models FILE: that one of it)
  --case ID               run only this case id of the datasets; repeatable
  --personas x,y          persona slugs (default: default = each case's own system prompt)
  --judge-model M         judge model (default gpt-5-mini; with --grid: the grid's scorer.model
                          when it names one)
  --concurrency N         requests in flight across all models (default 4)
  --rate-limit-rps R      requests per second across all models
  --run-id ID             name the run; an existing ID resumes it (skips done keys)
  --out DIR               folder for run folders (default results)
  --models-file FILE      the roster (default: the bench file's models_file or the models.yaml
                          beside it; without a bench file, models.yaml here)
  --personas-file FILE    personas (default: the bench file's personas_file or the personas.yaml
                          beside it; without a bench file, personas.yaml here)
  --limit N               only the first N cases of each dataset; with --grid, N groups
                          chosen by seeded balanced sampling
  --score now|later       judge as answers arrive (now) or later with "awb score"
  --timeout-s S           timeout of one call (default 60)
  --max-retries N         retries on 408/409/429/5xx/connection errors (default 3)
  --shard I/N|auto        run only shard I (0-based) of N of the run's keys, into
                          OUT/RUNID.shard-I-of-N (needs --run-id); "auto" reads the index from
                          Slurm (SLURM_ARRAY_TASK_*), Kubernetes (JOB_COMPLETION_INDEX) or
                          AWB_SHARD, the count from --shards/AWB_SHARDS or the Slurm array;
                          join the shards with "awb merge" (docs/sharding.md)
  --shards N              the shard count, with --shard auto
  --dry-run               validate and build every request, call nothing, print counts
  --allow-endpoint URL    for this run, send keys to URL's origin although a file (not your
                          environment) names it; repeatable (see "awb endpoints --help")
  --allow-key-env NAME    let a models file's api_key_env read NAME although it does not end
                          in _API_KEY; repeatable (also AWB_ALLOW_KEY_ENVS=A,B)
  --no-registry           do not record this run in the dataset registry's history (by default
                          every registered dataset of the run gets its results: AWB_REGISTRY,
                          else ~/.alignment-workbench/registry.sqlite)

Flags override the bench file. "awb run --run-id ID" alone resumes with the run's stored inputs.
A key from the environment goes only to its provider's endpoint or to the URL you set for it
(OPENAI_BASE_URL); any other endpoint a file names needs your approval first (--allow-endpoint,
AWB_ALLOW_ENDPOINTS or "awb endpoints approve URL"), and plain http goes only to this machine.
A models.yaml found nearby that redefines a name given with --models is used, with a warning.
Ctrl+C stops cleanly (state saved, resumable); a second Ctrl+C exits at once.
At the end: attack success per model × persona, with generation and judge errors.
Exit 0 when complete (every key answered and judged; with --score later, answered), 1 on
generation or judge errors or a partial run, 2 on usage errors and on an endpoint refused before any request, 130 when cancelled.`;

/** The problems that stop a run, one a line as `awb validate` prints them; nothing was sent. */
function dataErrorText(cwd: string, err: DataError): string {
  const errors = err.diagnostics.filter((d) => d.severity === 'error');
  const shown = errors.slice(0, 50).map((d) => `${displayPath(cwd, d.file)}:${d.line}:${d.column}: error: ${d.message} [${d.rule}]`);
  return `${errors.length} error${errors.length === 1 ? '' : 's'} in the data; nothing was sent:\n${shown.join('\n')}${errors.length > 50 ? `\n… and ${errors.length - 50} more` : ''}`;
}

function gridLine(g: NonNullable<RunSummary['grid']>): string {
  return `grid: ${g.groups} groups, ${g.cases} cases (${g.perspectives.join(', ')}); full grid: ${g.fullGroupCount} groups`;
}

function printSummary(io: CliIO, s: RunSummary, cfg: ResolvedRunConfig): string | undefined {
  const c = s.counts;
  io.out(`run ${s.runId}: ${s.status} — ${c.done}/${c.total} done, ${c.errors} generation errors, ${c.judge_errors} judge errors${c.judge_pending ? `, ${c.judge_pending} not judged yet` : ''}`);
  const problem = printMeasured(io, {
    counts: c, measured: s.measured, ...(s.firstJudgeError ? { firstJudgeError: s.firstJudgeError } : {}), judgeModel: s.judgeModel, scoreLater: s.scoreLater,
    order: { models: cfg.models.map((m) => m.slug), personas: cfg.personas.map((p) => p.slug) }, rejudge: rejudgeCommand(io.cwd, s.runDir),
  });
  const models = Object.entries(s.perModel);
  if (models.length && s.session.completed + s.session.errors > 0) {
    io.out('calls per model (this session):');
    for (const [slug, m] of models) {
      io.out(`  ${slug}: ${m.completed} done, ${m.errors} generation errors, ${m.judgeErrors} judge errors, ${m.judgeReasks} judge re-asks, ${m.attempts} calls${m.concurrencyDecreases ? `, concurrency halved ${m.concurrencyDecreases}×` : ''}`);
    }
  }
  if (s.artifacts.length) io.out('files:');
  for (const a of s.artifacts) io.out(`  ${relative(io.cwd, a) || a}`);
  if (s.fatal) io.err(`awb run: stopped early: ${s.fatal}`);
  return problem;
}

export const runCommand: Command = async (argv, io) => {
  const parsed = parseRunArgs(argv, io);
  if (parsed === 'help') { io.out(RUN_HELP); return 0; }
  const { noRegistry, allowEndpoints, allowKeyEnvs, ...runInput } = parsed;
  let cfg;
  try {
    cfg = await resolveRunConfig(runInput);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    if (err instanceof DataError) throw new UserError(dataErrorText(io.cwd, err));
    throw err;
  }
  const printer = new ProgressPrinter(io, io.isTTY);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      printer.line(`awb run: stopping… (state is being saved; Ctrl+C again to quit at once)`);
      controller.abort();
    } else {
      printer.end();
      io.err(`awb run: forced exit; resume with: ${resumeCommand(cfg)}`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  let summary: RunSummary;
  try {
    const gc = cliGarbageCollector();
    summary = await runBenchmark(cfg, {
      signal: controller.signal, onProgress: (p) => printer.update(p), log: printer.logger(), env: io.env,
      ...(gc ? { collectGarbage: gc } : {}), ...(noRegistry ? { registry: false } : {}),
      ...(allowEndpoints ? { allowEndpoints } : {}), ...(allowKeyEnvs ? { allowKeyEnvs } : {}),
    });
  } catch (err) {
    printer.end();
    if (err instanceof EndpointPolicyError) return printRefusal(io, 'run', err);
    if (err instanceof DataError) throw new UserError(dataErrorText(io.cwd, err));
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  printer.end();
  if (summary.grid) io.out(gridLine(summary.grid));
  if (summary.dryRun) {
    const d = summary.dryRun;
    io.out(`dry run ${summary.runId}: ${d.cases} cases × ${cfg.personas.length} personas × ${cfg.models.length} models = ${d.keys} keys; ${d.alreadyDone} already done`);
    io.out(`would send ${d.generationRequests} generation requests and ${d.judgeRequests} judge requests (plus any re-asks and retries)`);
    for (const e of describeEndpoints(cfg)) io.out(`  to ${e}`);
    if (d.missingKeys.length) io.out(`note: a real run needs an API key for: ${d.missingKeys.join(', ')} (set it in the environment)`);
    for (const w of summary.warnings) io.err(`warning: ${w}`);
    return 0;
  }
  const judgeProblem = printSummary(io, summary, cfg);
  if (summary.status === 'cancelled') {
    io.err(`awb run: cancelled; resume with: ${summary.resumeCommand}`);
    return 130;
  }
  if (summary.status === 'complete') return 0;
  const c = summary.counts;
  if (c.done < c.total || c.errors > 0) io.err(`awb run: not complete (${c.total - c.done} of ${c.total} keys without an answer); resume with: ${summary.resumeCommand}`);
  if (!summary.scoreLater && c.judge_pending > 0) io.err(`awb run: ${c.judge_pending} answers are not judged yet; judge them with: awb score ${shellQuote(displayPath(io.cwd, summary.runDir))}`);
  // Last, so it is what a terminal or a CI log ends with.
  if (judgeProblem) io.err(`awb run: ${judgeProblem}`);
  return 1;
};
