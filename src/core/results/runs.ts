import { createReadStream, existsSync } from 'node:fs';
import { isLocked } from '../run/runFolder';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { RunStatus } from '../../shared/results/types';

export const PARTIALS_FILE = 'partials.jsonl';
export const RUN_JSON = 'run.json';

/** Optional, and a value of the wrong shape reads as absent instead of failing the whole file. */
const opt = <T extends z.ZodType>(t: T) => t.optional().catch(undefined);
const slugList = opt(z.array(z.looseObject({ slug: z.string() })));

/**
 * What the results view reads from `run.json` (the runner's RunJson, src/core/run/runFolder.ts).
 * Parsed leniently: a field that is missing or of another shape is simply not shown.
 */
const RunJsonSchema = z.looseObject({
  run_id: opt(z.string()),
  created_at: opt(z.string()),
  status: opt(z.string()),
  config: opt(z.looseObject({
    cwd: opt(z.string()),
    datasets: opt(z.array(z.string())),
    benchFile: opt(z.string()),
    grid: opt(z.looseObject({ file: opt(z.string()) })),
    models: slugList,
    personas: opt(z.array(z.looseObject({ slug: z.string(), name: opt(z.string()), systemPrompt: opt(z.string()) }))),
    judge: opt(z.looseObject({ slug: z.string() })),
    score: opt(z.string()),
  })),
  datasets: opt(z.array(z.looseObject({ path: z.string() }))),
  prompts: opt(z.looseObject({ personas: opt(z.record(z.string(), z.looseObject({ system_prompt: opt(z.string()) }))) })),
  counts: opt(z.looseObject({ total: opt(z.number()), done: opt(z.number()), errors: opt(z.number()) })),
  scoring: opt(z.array(z.looseObject({ judge_model: opt(z.string()) }))),
  shard: opt(z.looseObject({ index: z.number(), count: z.number() })),
  merge: opt(z.looseObject({ count: z.number(), missing_keys: opt(z.number()) })),
});
export type RunJson = z.output<typeof RunJsonSchema>;

/** A run folder as the Runs tree and the results view describe it. */
export interface RunInfo {
  runId: string;
  dir: string;
  status: RunStatus;
  /** What run.json recorded (cancelled, failed … show as partial). */
  recordedStatus: string | null;
  createdAt: string | null;
  /** Planned rows (cases × personas × models). */
  total: number | null;
  /** Keys done and keys whose last attempt failed, as run.json last counted them. */
  done: number | null;
  errors: number | null;
  /** Lines in partials.jsonl now (a key may appear more than once); live while a run goes. */
  rows: number;
  models: string[];
  personas: string[];
  datasets: string[];
  judgeModel: string | null;
  /** A shard of a sharded run (`awb run --shard I/N`). */
  shard?: { index: number; count: number };
  /** A run merged from shards (`awb merge`): the shard count and keys still missing. */
  merge?: { count: number; missingKeys: number };
  /** What was run, for people: the bench file's name, else the grid's, else the datasets'. */
  name: string | null;
}

/**
 * One line of the Runs view: a run, or a sharded run — its merged folder if there is one, and its
 * shard folders (same parent folder and run id) under it, in shard order.
 */
export interface RunGroup {
  runId: string;
  /** The run itself: an ordinary or merged run; absent for shards not merged yet. */
  run?: RunInfo;
  shards: RunInfo[];
  /** N of a sharded run. */
  count?: number;
  /** For a sharded run: `merged`, `running`, `complete` (all shards, not merged yet) or `partial`. */
  shardStatus?: 'merged' | 'running' | 'complete' | 'partial';
}

/** Gathers shard folders under their run (see RunGroup); keeps the input's order of first appearance. */
export function groupRuns(runs: readonly RunInfo[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  const out: RunGroup[] = [];
  const keyOf = (r: RunInfo) => `${dirname(r.dir)}\n${r.runId}`;
  for (const r of runs) {
    if (!r.shard && !r.merge) { out.push({ runId: r.runId, run: r, shards: [] }); continue; }
    const k = keyOf(r);
    let g = groups.get(k);
    if (!g) { g = { runId: r.runId, shards: [] }; groups.set(k, g); out.push(g); }
    if (r.merge) { g.run = r; g.count = r.merge.count; } else { g.shards.push(r); g.count ??= r.shard!.count; }
  }
  for (const g of groups.values()) {
    g.shards.sort((a, b) => a.shard!.index - b.shard!.index);
    const complete = g.count !== undefined && new Set(g.shards.filter((s) => s.status === 'complete' && s.shard!.count === g.count).map((s) => s.shard!.index)).size === g.count;
    g.shardStatus = g.shards.some((s) => s.status === 'running') ? 'running' : g.run ? 'merged' : complete ? 'complete' : 'partial';
  }
  return out;
}

const fileName = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** The name of what a run ran: its bench file, else its grid, else its datasets (first two, then a count). */
export function runName(json: RunJson | null): string | null {
  const cfg = json?.config;
  if (cfg?.benchFile) return fileName(cfg.benchFile);
  if (cfg?.grid?.file) return fileName(cfg.grid.file);
  const data = (json?.datasets ?? []).map((d) => fileName(d.path));
  if (data.length === 0) return null;
  return data.length <= 2 ? data.join(', ') : `${data.slice(0, 2).join(', ')} +${data.length - 2} more`;
}

/** `run.json` of a run folder, or null when it is missing or not a JSON object. */
export async function readRunJson(runDir: string): Promise<RunJson | null> {
  try {
    const parsed = RunJsonSchema.safeParse(JSON.parse(await readFile(join(runDir, RUN_JSON), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * `running` while a live process holds run.lock, `complete` when
 * run.json says so, otherwise `partial` (cancelled, failed and killed runs included).
 */
export function runStatus(runDir: string, json: RunJson | null): RunStatus {
  if (isLocked(runDir)) return 'running';
  return json?.status === 'complete' ? 'complete' : 'partial';
}

const lineCounts = new Map<string, { size: number; mtimeMs: number; ino: number; lines: number }>();

/**
 * Newlines in a file, cached by size and mtime so a refresh of the tree costs nothing. A file
 * that only grew (partials.jsonl is append-only) is counted from where the last count stopped,
 * so polling a 100,000-row run reads only the new rows.
 */
export async function countLines(file: string): Promise<number> {
  let st;
  try {
    st = await stat(file);
  } catch {
    return 0;
  }
  const hit = lineCounts.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) return hit.lines;
  const grown = hit && hit.ino === st.ino && st.size > hit.size;
  let lines = grown ? hit.lines : 0;
  const start = grown ? hit.size : 0;
  let read = start;
  // An empty (just created) file: createReadStream refuses end = -1.
  if (st.size > start) for await (const chunk of createReadStream(file, { start, end: st.size - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    read += chunk.length;
  }
  lineCounts.set(file, { size: read, mtimeMs: st.mtimeMs, ino: st.ino, lines });
  return lines;
}

/** Describes one run folder; null when it holds neither run.json nor partials.jsonl. */
export async function readRunInfo(runDir: string): Promise<RunInfo | null> {
  const json = await readRunJson(runDir);
  const partials = join(runDir, PARTIALS_FILE);
  if (!json && !existsSync(partials)) return null;
  const cfg = json?.config;
  const lastJudge = json?.scoring?.at(-1)?.judge_model;
  return {
    runId: json?.run_id ?? basename(runDir),
    dir: runDir,
    status: runStatus(runDir, json),
    recordedStatus: json?.status ?? null,
    createdAt: json?.created_at ?? null,
    total: json?.counts?.total ?? null,
    done: json?.counts?.done ?? null,
    errors: json?.counts?.errors ?? null,
    rows: await countLines(partials),
    models: (cfg?.models ?? []).map((m) => m.slug),
    personas: (cfg?.personas ?? []).map((p) => p.slug),
    datasets: (json?.datasets ?? []).map((d) => d.path),
    judgeModel: lastJudge ?? (cfg?.score === 'now' ? cfg.judge?.slug ?? null : null),
    ...(json?.shard ? { shard: { index: json.shard.index, count: json.shard.count } } : {}),
    ...(json?.merge ? { merge: { count: json.merge.count, missingKeys: json.merge.missing_keys ?? 0 } } : {}),
    name: runName(json),
  };
}

/** When a run started: created_at, else the `YYYYmmdd_HHMMss` run id, else 0. */
export function runTime(r: Pick<RunInfo, 'createdAt' | 'runId'>): number {
  const t = r.createdAt ? Date.parse(r.createdAt) : NaN;
  if (Number.isFinite(t)) return t;
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})/.exec(r.runId);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : 0;
}

/** The runs in a `results/` folder, newest first (by created_at, else by run id). */
export async function listRuns(resultsDir: string): Promise<RunInfo[]> {
  let entries;
  try {
    entries = await readdir(resultsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const infos = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => readRunInfo(join(resultsDir, e.name))));
  const runs = infos.filter((r): r is RunInfo => r !== null);
  return runs.sort((a, b) => runTime(b) - runTime(a) || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
}
