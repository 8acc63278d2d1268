import { parseArgs } from 'node:util';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import {
  ConfigError, DataError, EndpointPolicyError, describeEndpoints, describeOutcome, displayPath, endpointOrigin, formatProgress, resolveRunConfig, resumeCommand, runBenchmark,
  type Logger, type OutcomeInput, type ResolvedRunConfig, type RunInput, type RunProgress, type RunSummary,
} from '../../core';
import { UsageError, UserError, type CliIO, type Command } from '../usage';
import { resolveShard, ShardError } from '../../core/run/shard';

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

/**
 * Memory settings for a CLI process that owns its heap (never used in the extension host):
 * sql.js's WebAssembly stays on V8's baseline compiler (the optimising tier costs ~40 MB of
 * compiled code for a one-off run), and a full GC is exposed for the runner to call between
 * phases, so peak RSS tracks live data rather than V8's lazy collection of call garbage.
 * The collector only collects once the heap (plus Buffers) has grown by `growthBytes` since the
 * last collection: a full GC stalls the event loop, which a small run never needs to pay for.
 */
export function cliGarbageCollector(growthBytes = 12e6): (() => void) | undefined {
  try {
    setFlagsFromString('--liftoff-only');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return undefined;
    const used = () => { const h = getHeapStatistics(); return h.used_heap_size + ((h as { external_memory?: number }).external_memory ?? 0); };
    let afterLast = used();
    return () => {
      if (used() - afterLast < growthBytes) return;
      (gc as () => void)();
      afterLast = used();
    };
  } catch {
    return undefined;
  }
}

/** The problems that stop a run, one a line as `awb validate` prints them; nothing was sent. */
function dataErrorText(cwd: string, err: DataError): string {
  const errors = err.diagnostics.filter((d) => d.severity === 'error');
  const shown = errors.slice(0, 50).map((d) => `${displayPath(cwd, d.file)}:${d.line}:${d.column}: error: ${d.message} [${d.rule}]`);
  return `${errors.length} error${errors.length === 1 ? '' : 's'} in the data; nothing was sent:\n${shown.join('\n')}${errors.length > 50 ? `\n… and ${errors.length - 50} more` : ''}`;
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));

function num(name: string, v: string | undefined, opts: { int?: boolean; min?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new UsageError(`--${name} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}, not "${v}"`);
  }
  return n;
}

/** `awb run`'s flags: the core's input, plus what is an option of this session only. */
interface RunArgs extends RunInput {
  /** `--no-registry`: leave the registry's history alone. */
  noRegistry?: boolean;
  /** `--allow-endpoint`: origins approved for this run only. */
  allowEndpoints?: string[];
  /** `--allow-key-env`: variables api_key_env may name besides *_API_KEY. */
  allowKeyEnvs?: string[];
}

/** `--allow-endpoint` values: each an http(s) URL (checked here, so a typo is a usage error). */
export function allowedEndpointFlags(urls: string[]): string[] {
  for (const u of urls) if (!endpointOrigin(u)) throw new UsageError(`--allow-endpoint takes an http(s) URL, not "${u}"`);
  return urls;
}

/** A refusal of the key gate: printed as is (it names file, line, URL and command); exit 2. */
export function printRefusal(io: CliIO, command: string, err: EndpointPolicyError): number {
  io.err(`awb ${command}: ${err.message}`);
  return 2;
}

/** Parses `awb run` flags into the core's input. */
function parseRunArgs(argv: string[], io: Pick<CliIO, 'cwd' | 'env'>): RunArgs | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: 'string', multiple: true },
      grid: { type: 'string' },
      'include-neutral': { type: 'boolean' },
      seed: { type: 'string' },
      models: { type: 'string' },
      model: { type: 'string' },
      case: { type: 'string', multiple: true },
      personas: { type: 'string' },
      'judge-model': { type: 'string' },
      concurrency: { type: 'string' },
      'rate-limit-rps': { type: 'string' },
      'run-id': { type: 'string' },
      out: { type: 'string' },
      'models-file': { type: 'string' },
      'personas-file': { type: 'string' },
      limit: { type: 'string' },
      score: { type: 'string' },
      'timeout-s': { type: 'string' },
      'max-retries': { type: 'string' },
      'dry-run': { type: 'boolean' },
      shard: { type: 'string' },
      shards: { type: 'string' },
      'no-registry': { type: 'boolean' },
      'allow-endpoint': { type: 'string', multiple: true },
      'allow-key-env': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 1) throw new UsageError(`one bench file at most, got ${positionals.length}`);
  if (positionals[0] && !/\.bench\.ya?ml$/i.test(positionals[0])) throw new UsageError(`${positionals[0]} is not a *.bench.yaml file (datasets go after --dataset)`);
  if (values.score !== undefined && values.score !== 'now' && values.score !== 'later') throw new UsageError(`--score must be now or later, not "${values.score}"`);
  if (values.grid !== undefined && !/\.grid\.ya?ml$/i.test(values.grid)) throw new UsageError(`--grid takes a *.grid.yaml file, not "${values.grid}"`);
  if (values.grid !== undefined && values.dataset?.length) throw new UsageError('--grid runs the grid\'s cases only; run --dataset files in a separate run');
  if ((values['include-neutral'] || values.seed !== undefined) && values.grid === undefined && !positionals[0]) throw new UsageError('--include-neutral and --seed go with --grid');
  // As the original sycophancy benchmark: `--models data/models.json` names its roster file.
  let rosterFile = values['models-file'];
  let models = list(values.models);
  if (values.models !== undefined && /\.(ya?ml|json)$/i.test(values.models) && isFile(resolve(io.cwd, values.models))) {
    if (rosterFile !== undefined) throw new UsageError('--models names a roster file and --models-file another; give one');
    rosterFile = values.models;
    models = undefined;
  }
  if (values.model !== undefined) {
    if (models) throw new UsageError('give --model SLUG or --models a,b, not both');
    models = [values.model];
  }
  const input: RunArgs = { cwd: io.cwd, env: io.env };
  const set = <K extends keyof RunInput>(k: K, v: RunInput[K] | undefined) => { if (v !== undefined) input[k] = v; };
  set('bench', positionals[0]);
  set('datasets', values.dataset);
  set('grid', values.grid);
  if (values['include-neutral']) input.includeNeutral = true;
  set('seed', values.seed === undefined ? undefined : /^-?\d{1,15}$/.test(values.seed) ? Number(values.seed) : values.seed);
  set('models', models);
  set('caseIds', values.case);
  set('personas', list(values.personas));
  set('judgeModel', values['judge-model']);
  set('concurrency', num('concurrency', values.concurrency, { int: true, min: 1 }));
  set('rateLimitRps', num('rate-limit-rps', values['rate-limit-rps'], { min: Number.MIN_VALUE }));
  set('runId', values['run-id']);
  set('out', values.out);
  set('modelsFile', rosterFile);
  set('personasFile', values['personas-file']);
  set('limit', num('limit', values.limit, { int: true, min: 1 }));
  set('score', values.score as 'now' | 'later' | undefined);
  set('timeoutS', num('timeout-s', values['timeout-s'], { min: Number.MIN_VALUE }));
  set('maxRetries', num('max-retries', values['max-retries'], { int: true, min: 0 }));
  if (values['dry-run']) input.dryRun = true;
  try {
    set('shard', resolveShard(values.shard, num('shards', values.shards, { int: true, min: 1 }), io.env));
  } catch (err) {
    if (err instanceof ShardError) throw new UsageError(err.message);
    throw err;
  }
  if (values['no-registry']) input.noRegistry = true;
  if (values['allow-endpoint']?.length) input.allowEndpoints = allowedEndpointFlags(values['allow-endpoint']);
  if (values['allow-key-env']?.length) input.allowKeyEnvs = values['allow-key-env'];
  return input;
}

/**
 * Progress for a terminal (one line redrawn in place, at most 10 times a second) or for logs
 * (a plain line every 10% or 15 s). Log lines printed meanwhile clear the live line first.
 */
export class ProgressPrinter {
  private live = '';
  private lastDraw = 0;
  private lastPlain = 0;
  private lastPct = -1;
  private rowWarnings = 0;

  constructor(private readonly io: CliIO, private readonly tty: boolean, private readonly write: (s: string) => void = (s) => process.stderr.write(s)) {}

  update(p: RunProgress): void {
    if (p.phase !== 'running') return;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastDraw < 100 && p.done < p.total) return;
      this.lastDraw = now;
      this.live = formatProgress(p);
      this.write(`\r\x1b[2K${this.live}`);
      return;
    }
    const pct = p.total ? Math.floor((10 * p.done) / p.total) : 10;
    if (pct !== this.lastPct || now - this.lastPlain >= 15_000) {
      this.lastPct = pct;
      this.lastPlain = now;
      this.io.err(formatProgress(p));
    }
  }

  /** Prints a log line above the live line. */
  line(s: string): void {
    if (this.tty && this.live) this.write('\r\x1b[2K');
    this.io.err(s);
    if (this.tty && this.live) this.write(this.live);
  }

  end(): void {
    if (this.tty && this.live) this.write('\r\x1b[2K');
    this.live = '';
  }

  logger(): Logger {
    const rowLine = /^\S+\|\S*\|\S+: /; // per-row problems: show a few, the rest are in run.log
    const warn = (level: string) => (m: string) => {
      if (rowLine.test(m) && ++this.rowWarnings > 20) {
        if (this.rowWarnings === 21) this.line('awb run: more row errors are in run.log');
        return;
      }
      this.line(`${level}${m}`);
    };
    return { trace() {}, debug() {}, info: (m) => this.line(m), warn: warn('warning: '), error: warn('error: ') };
  }
}

function gridLine(g: NonNullable<RunSummary['grid']>): string {
  return `grid: ${g.groups} groups, ${g.cases} cases (${g.perspectives.join(', ')}); full grid: ${g.fullGroupCount} groups`;
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** `awb score DIR --rescore errors`: re-judges the failed verdicts of a run folder. */
export function rejudgeCommand(cwd: string, runDir: string): string {
  return `awb score ${shellQuote(displayPath(cwd, runDir))} --rescore errors --judge-model MODEL`;
}

/**
 * What a run or scoring pass measured, on stdout: attack success per model × persona with the
 * generation and judge errors of each. Returns the judge problem (printed last, on stderr).
 */
export function printMeasured(io: CliIO, o: OutcomeInput): string | undefined {
  const outcome = describeOutcome(o);
  if (outcome.measuredLines.length && !(o.scoreLater && o.counts.judge_pending === o.counts.done && o.counts.judge_errors === 0)) {
    io.out('attack success per model × persona (successful attacks / answers judged):');
    for (const l of outcome.measuredLines) io.out(`  ${l}`);
  }
  return outcome.judgeProblem;
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
