import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { scanJsonl } from '../storage/jsonlScan';
import { RUN_FILES, type ShardRecord } from '../runFolder';
import type { SnapshotCase } from './plan';
import type { ShardSpec } from './types';

export type { ShardSpec } from './types';

/**
 * Sharding a run (docs/sharding.md): shard `index` of `count` (0-based) runs only its share of the
 * plan's keys. The share is decided per unit — a case, or for a grid run a whole group — so every
 * row of a case (each persona × model) and every case of a group stay together. Units are sorted
 * by sha256(plan hash, unit id) and dealt round-robin: the split depends only on the plan and the
 * count, every unit lands in exactly one shard, and shard sizes differ by at most one unit.
 */

/** What a shard's run.json records (`shard`): enough for `awb merge` to check and to name gaps. */

const SHARD_RULE = 'units (cases; grid groups) sorted by sha256(plan_sha256 + "\\n" + unit id), dealt round-robin: position p goes to shard p mod count';

/** A shard that cannot be determined (bad `--shard`, engine variables missing or inconsistent). */
export class ShardError extends Error {
  override name = 'ShardError';
}

/** The shard's own run folder, a sibling of the other shards': `RUNID.shard-I-of-N`. */
export function shardFolderName(runId: string, s: ShardSpec): string {
  return `${runId}.shard-${s.index}-of-${s.count}`;
}

/** `--shard I/N` as given on the command line. */
export function formatShard(s: ShardSpec): string {
  return `${s.index}/${s.count}`;
}

const INT = /^\d{1,9}$/;

function checkSpec(index: number, count: number, what: string): ShardSpec {
  if (!(count >= 1)) throw new ShardError(`${what}: the shard count must be at least 1, not ${count}`);
  if (!(index >= 0 && index < count)) throw new ShardError(`${what}: shard index ${index} is outside 0…${count - 1} (indexes are 0-based)`);
  return { index, count };
}

/** Parses `I/N` (0-based I). */
function parseShard(text: string, what = '--shard'): ShardSpec {
  const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(text);
  if (!m) throw new ShardError(`${what} takes I/N (0-based shard I of N, e.g. 0/4) or "auto", not "${text}"`);
  return checkSpec(Number(m[1]), Number(m[2]), what);
}

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!INT.test(v.trim())) throw new ShardError(`${name} must be a non-negative integer, not "${v}"`);
  return Number(v.trim());
}

/**
 * The shard to run. `flag` is `--shard` (`I/N`, `auto`, or absent); `shards` is `--shards N`.
 * Explicit `I/N` wins. `auto` — or no `--shard` while AWB_SHARD or AWB_SHARDS is set — reads it
 * from the engine: the index from AWB_SHARD, else Kubernetes' JOB_COMPLETION_INDEX, else
 * Slurm's (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP; the count from
 * `--shards`, else AWB_SHARDS, else (Slurm only) SLURM_ARRAY_TASK_COUNT. Returns undefined when
 * the run is not sharded.
 */
export function resolveShard(flag: string | undefined, shards: number | undefined, env: NodeJS.ProcessEnv): ShardSpec | undefined {
  const envCount = intVar(env, 'AWB_SHARDS');
  const envIndex = intVar(env, 'AWB_SHARD');
  if (flag !== undefined && flag.trim().toLowerCase() !== 'auto') {
    const s = parseShard(flag);
    if (shards !== undefined && shards !== s.count) throw new ShardError(`--shard ${flag} and --shards ${shards} disagree on the count`);
    return s;
  }
  if (flag === undefined && envCount === undefined && envIndex === undefined) {
    if (shards !== undefined) throw new ShardError('--shards N goes with --shard auto (or --shard I/N)');
    return undefined;
  }
  const count = shards ?? envCount;
  if (envIndex !== undefined) {
    if (count === undefined) throw new ShardError('AWB_SHARD is set but the shard count is not: set AWB_SHARDS or pass --shards N');
    return checkSpec(envIndex, count, 'AWB_SHARD');
  }
  const k8s = intVar(env, 'JOB_COMPLETION_INDEX');
  if (k8s !== undefined) {
    if (count === undefined) throw new ShardError('JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the shard count is not: the pod does not see spec.completions, so pass --shards N or set AWB_SHARDS to it');
    return checkSpec(k8s, count, 'JOB_COMPLETION_INDEX');
  }
  const id = intVar(env, 'SLURM_ARRAY_TASK_ID');
  if (id !== undefined) {
    const min = intVar(env, 'SLURM_ARRAY_TASK_MIN');
    const step = intVar(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
    const arrayCount = intVar(env, 'SLURM_ARRAY_TASK_COUNT');
    if (min === undefined || arrayCount === undefined) throw new ShardError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN or SLURM_ARRAY_TASK_COUNT is not: cannot tell which shard this task is; pass --shard I/N');
    if (step < 1 || (id - min) % step !== 0) throw new ShardError(`Slurm array task ${id} is not on the array's grid (min ${min}, step ${step}); pass --shard I/N`);
    if (count !== undefined && count !== arrayCount) {
      throw new ShardError(`this Slurm array has ${arrayCount} task(s) but the run has ${count} shards (--shards/AWB_SHARDS): a resubmission of some shards cannot tell their index from the array; set AWB_SHARD to the shard index, e.g. sbatch --array=${id} --export=ALL,AWB_SHARD=${id} …`);
    }
    return checkSpec((id - min) / step, arrayCount, 'SLURM_ARRAY_TASK_ID');
  }
  throw new ShardError(`--shard auto: no shard index found (none of AWB_SHARD, JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID is set)${count === undefined ? ' and no shard count (--shards N or AWB_SHARDS)' : ''}; pass --shard I/N`);
}

/** The unit a case is sharded by: its grid group in a grid run, else the case itself. */
export function shardUnit(c: { id: string; group_id?: string | null | undefined }, grid: boolean): string {
  return grid && c.group_id ? `g:${c.group_id}` : `c:${c.id}`;
}

const unitHash = (planSha256: string, unit: string) => createHash('sha256').update(`${planSha256}\n${unit}`).digest('hex');

/** Shard of every unit: sorted by hash of (plan, unit), dealt round-robin. */
export function assignShards(planSha256: string, units: Iterable<string>, count: number): Map<string, number> {
  const sorted = [...new Set(units)].map((u) => [unitHash(planSha256, u), u] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const out = new Map<string, number>();
  sorted.forEach(([, u], p) => out.set(u, p % count));
  return out;
}

/** The plan's split, read from a run folder's `cases.jsonl` snapshot. */
export interface ShardPlan {
  /** Shard of each unit. */
  shardOfUnit: Map<string, number>;
  /** Cases per shard. */
  casesPerShard: number[];
  unitsPerShard: number[];
  planCases: number;
  grid: boolean;
}

/** Reads the cases snapshot (`cases.jsonl`) and splits its units over `count` shards. */
export function planShards(casesFile: string, planSha256: string, count: number, grid: boolean): ShardPlan {
  const caseUnits: string[] = [];
  if (existsSync(casesFile)) {
    for (const l of scanJsonl(casesFile)) {
      if (!l.terminated) break;
      if (!l.text.trim()) continue;
      caseUnits.push(shardUnit((JSON.parse(l.text) as SnapshotCase).case, grid));
    }
  }
  const shardOfUnit = assignShards(planSha256, caseUnits, count);
  const casesPerShard = new Array<number>(count).fill(0);
  const unitsPerShard = new Array<number>(count).fill(0);
  for (const u of caseUnits) casesPerShard[shardOfUnit.get(u)!]!++;
  for (const s of shardOfUnit.values()) unitsPerShard[s]!++;
  return { shardOfUnit, casesPerShard, unitsPerShard, planCases: caseUnits.length, grid };
}

/** What shard `spec` owns, and the record its run.json keeps. */
export function shardRecord(plan: ShardPlan, planSha256: string, spec: ShardSpec, keysPerCase: number): ShardRecord {
  const owned = [...plan.shardOfUnit].filter(([, s]) => s === spec.index).map(([u]) => u).sort();
  return {
    index: spec.index,
    count: spec.count,
    plan_sha256: planSha256,
    unit: plan.grid ? 'group' : 'case',
    rule: SHARD_RULE,
    units: owned.length,
    cases: plan.casesPerShard[spec.index]!,
    keys: plan.casesPerShard[spec.index]! * keysPerCase,
    plan_units: plan.shardOfUnit.size,
    plan_cases: plan.planCases,
    plan_keys: plan.planCases * keysPerCase,
    units_sha256: createHash('sha256').update(owned.join('\n')).digest('hex'),
  };
}

/**
 * A shard's run folder resumed as another shard (or another count) would mix two shards' keys:
 * refused like any other change of inputs. Returns the differences in words.
 */
export function diffShard(before: Pick<ShardRecord, 'index' | 'count'> | undefined, after: ShardSpec | undefined): string[] {
  if (!before && !after) return [];
  if (!before) return [`shard added: ${formatShard(after!)} (the folder holds an unsharded run)`];
  if (!after) return [`shard removed: the folder holds shard ${formatShard(before)}; pass --shard ${formatShard(before)}`];
  return before.index === after.index && before.count === after.count ? [] : [`shard: ${formatShard(before)} → ${formatShard(after)}`];
}

/**
 * Another shard's folder of the same run and count in `outDir` that has a run.json, if any: a shard
 * that never started resumes from a sibling's stored input, so `awb run --run-id ID --shard I/N` alone runs it.
 */
export function siblingShardRunFolder(outDir: string, runId: string, count: number): string | undefined {
  if (!existsSync(outDir)) return undefined;
  const prefix = `${runId}.shard-`, suffix = `-of-${count}`;
  for (const n of readdirSync(outDir).sort()) {
    if (n.startsWith(prefix) && n.endsWith(suffix) && /^\d+$/.test(n.slice(prefix.length, -suffix.length)) && existsSync(join(outDir, n, RUN_FILES.runJson))) return join(outDir, n);
  }
  return undefined;
}
