/**
 * The types of a run's configuration, as resolved for the runner and as run.json stores it.
 * Types only, importing nothing of the run layer: the run folder's owner (src/core/runFolder)
 * describes run.json with them without an import cycle.
 */
import type { ResolvedModel } from '../providers/models';
import type { Grid } from '../schemas/grid';

/** What a caller (CLI flags, a bench file, the extension's command) asks for; all optional. */
export interface RunInput {
  /** A `*.bench.yaml`; flags given alongside override its values. */
  bench?: string;
  datasets?: string[];
  /** A `*.grid.yaml`: its cases are built into the run folder and scored by its master scorer. */
  grid?: string;
  /** With a grid: also ask from the neutral perspective (default: the grid's sampling). */
  includeNeutral?: boolean;
  /** With a grid: the balanced sampling seed (default: the grid's sampling). */
  seed?: string | number;
  models?: string[];
  personas?: string[];
  judgeModel?: string;
  concurrency?: number;
  rateLimitRps?: number;
  timeoutS?: number;
  maxRetries?: number;
  /** First N cases of each dataset; with a grid, N groups by balanced sampling. */
  limit?: number;
  /** Run only these case ids (e.g. one case from the editor's code lens). */
  caseIds?: string[];
  score?: 'now' | 'later';
  out?: string;
  runId?: string;
  modelsFile?: string;
  personasFile?: string;
  dryRun?: boolean;
  /** Run only this shard of the plan's keys (docs/sharding.md); needs `runId`. */
  shard?: ShardSpec;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ResolvedPersona {
  slug: string;
  name: string;
  /** Template; `{{persona_system_prompt}}` is the case's own system prompt. */
  systemPrompt: string;
}

/** A grid run's grid, resolved: effective sampling options and where its cases are built. */
export interface ResolvedGrid {
  /** Absolute path of the `*.grid.yaml`. */
  file: string;
  includeNeutral: boolean;
  /** Groups kept by balanced sampling; absent: the full grid. */
  limit?: number;
  seed: string | number;
  /** `<runDir>/grid.cases.jsonl`: built at the start of each session, the run's only dataset. */
  casesFile: string;
  /** The parsed grid (run.json keeps it as `grid`, not inside `config`). */
  spec: Grid;
}

/**
 * Everything a run needs, resolved to absolute paths and concrete models. Holds no key: each
 * model says where its key comes from. Written to run.json as is.
 */
export interface ResolvedRunConfig {
  runId: string;
  /** The folder holding run folders (`--out`). */
  outDir: string;
  /** `outDir/runId`. */
  runDir: string;
  cwd: string;
  benchFile?: string;
  modelsFile?: string;
  personasFile?: string;
  /** Absolute paths of the cases files (dataset cards resolved to their data). */
  datasets: string[];
  /** Set for a grid run; `datasets` is then `[grid.casesFile]`. */
  grid?: ResolvedGrid;
  models: ResolvedModel[];
  personas: ResolvedPersona[];
  judge: ResolvedModel;
  score: 'now' | 'later';
  concurrency: number;
  rateLimitRps?: number;
  timeoutS: number;
  maxRetries: number;
  limit?: number;
  /** Only these case ids, when set. */
  caseIds?: string[];
  /** A shard of the plan: `runDir` is `outDir/RUNID.shard-I-of-N`; rows keep `runId`. */
  shard?: ShardSpec;
  dryRun: boolean;
  /** What the user should know before the run (e.g. a nearby models.yaml redefining a name); not stored. */
  notices?: string[];
}

/** The CLI-level input stored in run.json, so `awb run --run-id X` alone can resume. */
export type StoredInput = Omit<RunInput, 'env' | 'cwd' | 'dryRun' | 'runId' | 'out' | 'shard'>;

/**
 * What a run's results depend on. Two invocations may share a run folder only when this is
 * identical: same data (by content), models (endpoint and generation parameters), persona
 * texts, judge (model, endpoint and prompt), limit and scoring mode. Operational settings
 * (concurrency, rate limits, timeouts, retries) may change between sessions.
 */
export interface Fingerprint {
  datasets: { path: string; sha256: string }[];
  limit: number | null;
  /** Case ids the run is restricted to (absent: all). */
  cases?: string[];
  /** A grid run's grid (absent: not a grid run). */
  grid?: GridPrint;
  models: ModelPrint[];
  personas: Record<string, string>;
  score: 'now' | 'later';
  judge: (ModelPrint & { scorer: Record<string, unknown> }) | null;
}

/** The grid as far as results depend on it: its content (parsed, so comments do not count) and sampling. */
export interface GridPrint {
  file: string;
  sha256: string;
  include_neutral: boolean;
  limit: number | null;
  seed: string | number;
}

export interface ModelPrint {
  slug: string;
  model: string;
  baseURL: string;
  params: Record<string, unknown>;
}

/** Which shard of how many (`--shard I/N`, 0-based). */
export interface ShardSpec {
  index: number;
  count: number;
}
