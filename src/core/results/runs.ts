import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { RunStatus } from './types';

export const PARTIALS_FILE = 'partials.jsonl';
export const RUN_JSON = 'run.json';

/** What the results view needs from `run.json`; everything else in it is kept but not relied on. */
const RunJsonSchema = z.looseObject({
  run_id: z.string().optional(),
  created_at: z.string().optional(),
  status: z.string().optional(),
  total: z.number().optional(),
  models: z.array(z.unknown()).optional(),
  personas: z.array(z.unknown()).optional(),
  datasets: z.array(z.unknown()).optional(),
  judge_model: z.string().nullable().optional(),
  pid: z.number().int().optional(),
});
export type RunJson = z.output<typeof RunJsonSchema>;

/** A run folder as the Runs tree and the results view describe it. */
export interface RunInfo {
  runId: string;
  dir: string;
  status: RunStatus;
  createdAt: string | null;
  /** Planned rows (cases × personas × models), when run.json says. */
  total: number | null;
  /** Lines in partials.jsonl (a row may be repeated before de-duplication). */
  rows: number;
  models: string[];
  personas: string[];
  datasets: string[];
  judgeModel: string | null;
}

/** A run still marked running whose files have not changed for this long is shown as partial. */
export const STALE_RUNNING_MS = 10 * 60_000;

/** Slug of a models/personas/datasets entry, whether run.json lists strings or objects. */
function slugOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of ['slug', 'id', 'name', 'path', 'dataset_id']) if (typeof o[k] === 'string') return o[k] as string;
  }
  return null;
}
const slugs = (xs: unknown[] | undefined) => (xs ?? []).map(slugOf).filter((s): s is string => s !== null);

/** `run.json` of a run folder, or null when it is missing or not a JSON object. */
export async function readRunJson(runDir: string): Promise<RunJson | null> {
  try {
    const parsed = RunJsonSchema.safeParse(JSON.parse(await readFile(join(runDir, RUN_JSON), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run status from run.json, demoting a `running` run whose writer is gone to `partial`. */
export function runStatus(json: RunJson | null, lastWriteMs: number, nowMs = Date.now()): RunStatus {
  const s = (json?.status ?? '').toLowerCase();
  if (['complete', 'completed', 'done', 'finished'].includes(s)) return 'complete';
  if (s === 'running') {
    if (json?.pid !== undefined && !pidAlive(json.pid)) return 'partial';
    return nowMs - lastWriteMs > STALE_RUNNING_MS ? 'partial' : 'running';
  }
  return 'partial';
}

const lineCounts = new Map<string, { size: number; mtimeMs: number; lines: number }>();

/** Newlines in a file, cached by size and mtime so a refresh of the tree costs nothing. */
export async function countLines(file: string): Promise<number> {
  let st;
  try {
    st = await stat(file);
  } catch {
    return 0;
  }
  const hit = lineCounts.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.lines;
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  lineCounts.set(file, { size: st.size, mtimeMs: st.mtimeMs, lines });
  return lines;
}

async function mtime(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

/** Describes one run folder; null when it holds neither run.json nor partials.jsonl. */
export async function readRunInfo(runDir: string): Promise<RunInfo | null> {
  const json = await readRunJson(runDir);
  const partials = join(runDir, PARTIALS_FILE);
  const [pm, jm] = await Promise.all([mtime(partials), mtime(join(runDir, RUN_JSON))]);
  if (!json && !pm) return null;
  return {
    runId: json?.run_id ?? basename(runDir),
    dir: runDir,
    status: runStatus(json, Math.max(pm, jm)),
    createdAt: json?.created_at ?? null,
    total: typeof json?.total === 'number' ? json.total : null,
    rows: await countLines(partials),
    models: slugs(json?.models),
    personas: slugs(json?.personas),
    datasets: slugs(json?.datasets),
    judgeModel: json?.judge_model ?? null,
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
