import { createReadStream, existsSync } from 'node:fs';
import { isLocked, readRunJsonIfAny, RUN_FILES, type RunJson } from '../runFolder';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ShownStatus } from '../../shared/results/types';

/** A run folder as the Runs tree and the results view describe it. */
export interface RunInfo {
  runId: string;
  dir: string;
  status: ShownStatus;
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
function runName(json: RunJson | undefined): string | null {
  const cfg = json?.config;
  if (cfg?.benchFile) return fileName(cfg.benchFile);
  if (cfg?.grid?.file) return fileName(cfg.grid.file);
  const data = (json?.datasets ?? []).map((d) => fileName(d.path));
  if (data.length === 0) return null;
  return data.length <= 2 ? data.join(', ') : `${data.slice(0, 2).join(', ')} +${data.length - 2} more`;
}

/**
 * `running` while a live process holds run.lock, `complete` when
 * run.json says so, otherwise `partial` (cancelled, failed and killed runs included).
 */
function runStatus(runDir: string, json: RunJson | undefined): ShownStatus {
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
  const json = readRunJsonIfAny(runDir);
  const partials = join(runDir, RUN_FILES.partials);
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
