import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunInput } from '../core';
import { resolveShard, ShardError } from '../core/run/shard';
import { allowedEndpointFlags } from './endpointGate';
import { UsageError, type CliIO } from './usage';

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

/** Parses `awb run` flags into the core's input. */
export function parseRunArgs(argv: string[], io: Pick<CliIO, 'cwd' | 'env'>): RunArgs | 'help' {
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
