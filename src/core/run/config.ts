import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { DataError, hasErrors, loadBenchFile, loadModelsFile, loadPersonas, resolveDatasetPath } from '../data/load';
import type { Diagnostic } from '../diagnostics';
import { fileProblemDiagnostic } from '../validate/fileCheck';
import { GridFileError, readGridFile } from '../grid/format';
import type { Grid } from '../schemas/grid';
import { readRunJson, RUN_FILES } from '../runFolder';
import { shardFolderName, siblingShardRunFolder } from './shard';
import { benchRosterFile, unknownModelMessage } from '../validate/validate';
import { defaultProviderModel, modelFromEntry, type ResolvedModel } from '../providers/models';
import { endpointIsFileNamed } from '../providers/endpoints';
import type { Bench } from '../schemas/bench';
import { ExpectedError } from '../errors';
import type { ResolvedGrid, ResolvedRunConfig, RunInput, StoredInput } from './types';

export type { ResolvedGrid, ResolvedPersona, ResolvedRunConfig, RunInput, StoredInput } from './types';





/** A request that cannot be turned into a run (no dataset, unknown model…); exit code 2 in the CLI. */
export class ConfigError extends ExpectedError {
  override name = 'ConfigError';
}

/** `YYYYmmdd_HHMMss` in UTC, as the original Python runner (its example pairs 20250101_123000 with 12:30:00Z). */
function newRunId(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;


async function loadGrid(file: string): Promise<Grid> {
  const problem = fileProblemDiagnostic(file);
  if (problem) throw new DataError([problem.rule === 'missing-file' ? { ...problem, message: 'grid file not found' } : problem]);
  try {
    return await readGridFile(file);
  } catch (err) {
    if (err instanceof GridFileError) throw new DataError(err.diagnostics);
    throw err;
  }
}

/**
 * Resolves flags and/or a bench file into a run config: finds the models and personas files,
 * resolves model slugs (roster entry, or a model name on the default provider), checks persona
 * slugs. Data files are validated when the run starts, not here.
 */
export async function resolveRunConfig(input: RunInput): Promise<ResolvedRunConfig> {
  const cwd = resolve(input.cwd);
  let bench: Bench | undefined;
  let benchFile: string | undefined;
  let base = cwd;
  const diagnostics: Diagnostic[] = [];
  if (input.bench) {
    benchFile = resolve(cwd, input.bench);
    // The bench file is validated as `awb validate` validates it: a model missing from the roster
    // beside it is the same `unknown-model` error here, unless flags name the models or roster.
    const r = await loadBenchFile(benchFile, { rosterOverridden: input.models !== undefined || input.modelsFile !== undefined });
    if (!r.bench) throw new DataError(r.diagnostics);
    bench = r.bench;
    base = dirname(benchFile);
  }
  const outDir = input.out ? resolve(cwd, input.out) : bench ? resolve(base, bench.out) : resolve(cwd, 'results');
  let runId = input.runId ?? bench?.run_id;
  if (runId !== undefined && !RUN_ID_PATTERN.test(runId)) throw new ConfigError(`run id "${runId}" may use letters, digits, ".", "_" and "-" only`);
  // Every shard of a run shares one run id (a default id is a time, different on every machine).
  if (input.shard && runId === undefined) throw new ConfigError('--shard needs --run-id ID: every shard of a run must use the same run id');
  const folderOf = (id: string) => join(outDir, input.shard ? shardFolderName(id, input.shard) : id);

  // `awb run --run-id X` with no data named: continue that run with its stored input.
  let stored: StoredInput | undefined;
  if (runId && !bench && !input.datasets?.length && !input.grid) {
    let from = folderOf(runId);
    if (input.shard && !existsSync(join(from, RUN_FILES.runJson))) from = siblingShardRunFolder(outDir, runId, input.shard.count) ?? from;
    const runJson = join(from, RUN_FILES.runJson);
    const found = readRunJson(from);
    if (!found) throw new ConfigError(`no dataset given, and ${relative(cwd, runJson) || runJson} does not exist to resume from`);
    stored = found.input;
    if (!stored) throw new ConfigError(`${runJson} has no stored input; pass the datasets and models again`);
  }
  const pick = <K extends keyof StoredInput>(k: K): StoredInput[K] | undefined => (input[k] !== undefined ? input[k] : stored?.[k]);

  // Data named by flags (datasets or a grid) replaces the bench file's data, both kinds.
  const flagData = Boolean(input.datasets?.length || input.grid);
  const datasetsIn = input.datasets?.length ? input.datasets.map((d) => resolve(cwd, d)) : flagData ? [] : bench ? bench.datasets.map((d) => resolve(base, d)) : stored?.datasets ?? [];
  const gridFile = input.grid ? resolve(cwd, input.grid) : flagData ? undefined : bench?.grid ? resolve(base, bench.grid) : stored?.grid;
  // One scorer per run: the grid's master scorer cannot judge other datasets' cases.
  if (gridFile && datasetsIn.length) throw new ConfigError('a grid run runs the grid\'s cases only (scored by its master scorer); run other datasets in a separate run');
  if (datasetsIn.length === 0 && !gridFile) throw new ConfigError('no dataset: pass --dataset FILE (repeatable), --grid FILE.grid.yaml or a bench file');
  const datasets: string[] = [];
  for (const d of datasetsIn) {
    const r = await resolveDatasetPath(d);
    diagnostics.push(...r.diagnostics);
    if (r.path) datasets.push(r.path);
  }

  // Beside the bench file (never the working folder: the editor and `awb validate` cannot know
  // it); without a bench file, in the working folder.
  const near = (name: string) => [join(base, name)].find((f) => existsSync(f));
  const modelsFile = input.modelsFile ? resolve(cwd, input.modelsFile) : benchFile ? benchRosterFile(benchFile, bench?.models_file) : stored?.modelsFile ?? near('models.yaml');
  const personasFile = input.personasFile ? resolve(cwd, input.personasFile) : bench?.personas_file ? resolve(base, bench.personas_file) : stored?.personasFile ?? near('personas.yaml');

  const concurrency = pick('concurrency') ?? bench?.concurrency ?? 4;
  const env = input.env;
  let roster: ResolvedModel[] | undefined;
  if (modelsFile) {
    const r = await loadModelsFile(modelsFile);
    diagnostics.push(...r.diagnostics);
    if (r.models) roster = r.models.map((m, i) => modelFromEntry(m, env, r.sources?.[i]));
  }
  const loaded = await loadPersonas(personasFile);
  diagnostics.push(...loaded.diagnostics);
  if (hasErrors(diagnostics)) throw new DataError(diagnostics);

  const slugs = pick('models') ?? bench?.models ?? roster?.map((m) => m.slug);
  if (!slugs?.length) throw new ConfigError('no models: pass --models a,b (model names on the default provider, or slugs of models.yaml)');
  const uniqueSlugs = [...new Set(slugs)];
  const models = uniqueSlugs.map((slug) => {
    if (!roster) return defaultProviderModel(slug, concurrency, env);
    const m = roster.find((x) => x.slug === slug);
    if (!m) throw new ConfigError(unknownModelMessage(slug, displayPath(cwd, modelsFile!), roster.map((x) => x.slug)));
    return m;
  });
  const gridSpec = gridFile ? await loadGrid(gridFile) : undefined;
  // An explicit --judge-model wins; else the grid's scorer model; else the bench's or the default.
  const judgeSlug = pick('judgeModel') ?? gridSpec?.scorer.model ?? bench?.judge_model ?? 'gpt-5-mini';
  const judge = roster?.find((m) => m.slug === judgeSlug) ?? defaultProviderModel(judgeSlug, concurrency, env);

  // A models.yaml found by looking around (not named by a flag or the bench file) that defines a
  // name given on the command line replaces the default provider for it: say so, with where.
  const notices: string[] = [];
  const foundNearby = Boolean(modelsFile && !input.modelsFile && !bench?.models_file && !stored?.modelsFile);
  if (foundNearby) {
    const named = [...(input.models ?? []).map((slug) => ({ slug, what: 'model' })), ...(input.judgeModel ? [{ slug: input.judgeModel, what: 'judge' }] : [])];
    for (const { slug, what } of named) {
      const m = slug === judge.slug && what === 'judge' ? judge : models.find((x) => x.slug === slug);
      if (!m?.from) continue;
      // Entries on a provider's own endpoint (or the user's OPENAI_BASE_URL) are what the name means.
      if (!endpointIsFileNamed(m, env)) continue;
      notices.push(`${what} "${slug}" is the entry at ${displayPath(cwd, m.from.file)}:${m.from.line} (${m.model} at ${m.baseURL}), not the default provider's model of that name; pass --models-file to choose the roster explicitly`);
    }
  }

  const personaSlugs = [...new Set(pick('personas') ?? bench?.personas ?? ['default'])];
  const personas = personaSlugs.map((slug) => {
    const p = loaded.personas![slug];
    if (!p) throw new ConfigError(`persona "${slug}" is not defined${personasFile ? ` in ${relative(cwd, personasFile)}` : ''} nor built in; known: ${Object.keys(loaded.personas!).join(', ')}`);
    return { slug, name: p.name, systemPrompt: p.system_prompt };
  });

  if (!runId) {
    runId = newRunId();
    for (let i = 2; existsSync(join(outDir, runId)) && i < 100; i++) runId = `${newRunId()}_${i}`;
  }
  const rateLimitRps = pick('rateLimitRps') ?? bench?.rate_limit_rps;
  const limitIn = pick('limit') ?? bench?.limit;
  const runDir = folderOf(runId);
  let grid: ResolvedGrid | undefined;
  if (gridFile && gridSpec) {
    const gridLimit = limitIn ?? gridSpec.sampling.limit;
    grid = {
      file: gridFile,
      includeNeutral: (pick('includeNeutral') ?? bench?.include_neutral ?? gridSpec.sampling.include_neutral) && Boolean(gridSpec.sides.neutral),
      ...(gridLimit !== undefined ? { limit: gridLimit } : {}),
      seed: pick('seed') ?? gridSpec.sampling.seed,
      casesFile: join(runDir, RUN_FILES.gridCases),
      spec: gridSpec,
    };
    datasets.push(grid.casesFile);
  }
  // With a grid, the limit counts groups (grid.limit), not the first cases of the built file.
  const limit = grid ? undefined : limitIn;
  const cfg: ResolvedRunConfig = {
    runId,
    outDir,
    runDir,
    cwd,
    ...(benchFile ? { benchFile } : {}),
    ...(modelsFile ? { modelsFile } : {}),
    ...(personasFile ? { personasFile } : {}),
    datasets,
    ...(grid ? { grid } : {}),
    models,
    personas,
    judge,
    score: pick('score') ?? bench?.score ?? 'now',
    concurrency,
    ...(rateLimitRps !== undefined ? { rateLimitRps } : {}),
    timeoutS: pick('timeoutS') ?? bench?.timeout_s ?? 60,
    maxRetries: pick('maxRetries') ?? bench?.max_retries ?? 3,
    ...(limit !== undefined ? { limit } : {}),
    ...(pick('caseIds')?.length ? { caseIds: [...new Set(pick('caseIds'))] } : {}),
    ...(input.shard ? { shard: input.shard } : {}),
    dryRun: input.dryRun ?? false,
    ...(notices.length ? { notices } : {}),
  };
  if (!(cfg.concurrency >= 1)) throw new ConfigError('--concurrency must be at least 1');
  if (cfg.rateLimitRps !== undefined && !(cfg.rateLimitRps > 0)) throw new ConfigError('--rate-limit-rps must be positive');
  return cfg;
}

/** The input to store in run.json (absolute paths, no env). */
export function storedInput(cfg: ResolvedRunConfig): StoredInput {
  return {
    datasets: cfg.grid ? [] : cfg.datasets,
    ...(cfg.grid ? { grid: cfg.grid.file, includeNeutral: cfg.grid.includeNeutral, seed: cfg.grid.seed, ...(cfg.grid.limit !== undefined ? { limit: cfg.grid.limit } : {}) } : {}),
    models: cfg.models.map((m) => m.slug),
    personas: cfg.personas.map((p) => p.slug),
    judgeModel: cfg.judge.slug,
    score: cfg.score,
    ...(cfg.modelsFile ? { modelsFile: cfg.modelsFile } : {}),
    ...(cfg.personasFile ? { personasFile: cfg.personasFile } : {}),
    ...(cfg.limit !== undefined ? { limit: cfg.limit } : {}),
    ...(cfg.caseIds ? { caseIds: cfg.caseIds } : {}),
    concurrency: cfg.concurrency,
    ...(cfg.rateLimitRps !== undefined ? { rateLimitRps: cfg.rateLimitRps } : {}),
    timeoutS: cfg.timeoutS,
    maxRetries: cfg.maxRetries,
  };
}

/** Path as shown to the user: relative to the working folder when inside it. */
export function displayPath(cwd: string, p: string): string {
  const r = relative(cwd, p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r.split('\\').join('/') : p;
}
