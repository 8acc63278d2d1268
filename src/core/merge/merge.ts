import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ExpectedError } from '../errors';
import { buildReport, withCounts } from '../export/report';
import { readLabels, writeLabel } from '../grid/labels';
import { readReviews, saveReview } from '../results/reviews';
import { diffFingerprints } from '../run/fingerprint';
import { readRange, scanJsonl } from '../storage/jsonlScan';
import { parseRowLine, rowIsDone } from '../runFolder';
import type { SnapshotCase } from '../run/plan';
import { resultKey, type ResultRow } from '../runFolder';
import { acquireRunLock, isLocked, readRunJson, RUN_FILES, RunLockedError, writeRunJson, type RunJson } from '../runFolder';
import { resumeCommand } from '../run/resumeCommand';
import { assignShards, formatShard, shardUnit } from '../run/shard';
import { StateDb } from '../runFolder';
import { fsyncDir, renameWithRetry, tempPathFor } from '../storage/atomic';
import type { MergeRecord, MergeShard, MergeSource } from '../runFolder';

/** Shards that cannot be merged (different plans, conflicting rows, keys missing): nothing is written. */
class MergeError extends ExpectedError {
  override name = 'MergeError';
}

export interface MergeOptions {
  /** Shard folders (and/or earlier merged runs of the same plan). */
  dirs: string[];
  /** The merged run folder. An earlier merge there (same plan) is read as one more source. */
  out: string;
  /** Write a run marked `partial` when keys are missing, instead of refusing. */
  allowPartial?: boolean;
  /** How long to wait for another merge (or run) holding the output folder (default 600 s). */
  lockTimeoutMs?: number;
  /** For commands shown to the user: paths relative to this folder. */
  cwd?: string;
  warn?: (message: string) => void;
  /** A full GC between phases (the CLI's; see `RunOptions.collectGarbage`). */
  collectGarbage?: () => void;
}

export interface MergeResult {
  runDir: string;
  runId: string;
  status: 'complete' | 'partial';
  rows: number;
  planKeys: number;
  missingKeys: number;
  shards: MergeShard[];
  files: string[];
  labels: number;
  reviews: number;
}

interface Source {
  dir: string;
  json: RunJson;
  kind: 'shard' | 'merged';
  index?: number;
  partials: string;
  /** Byte ranges (offset, end) of the lines this merge takes from this folder. */
  take: [number, number][];
}

/** The row a folder holds for a key under the last-row rule, and where it is. */
interface Pick { src: number; offset: number; end: number; done: boolean; judged: boolean }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Appends the byte ranges `[offset, end)` of `file` (sorted, not overlapping) to `fd`, adjacent
 * ranges in one piece, through a 1 MB buffer. Returns the bytes written.
 */
function copyRanges(file: string, ranges: [number, number][], fd: number): number {
  const src = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  try {
    for (let i = 0; i < ranges.length;) {
      let [pos, end] = ranges[i++]!;
      while (i < ranges.length && ranges[i]![0] === end) end = ranges[i++]![1];
      while (pos < end) {
        const n = readSync(src, buf, 0, Math.min(buf.length, end - pos), pos);
        if (n === 0) throw new MergeError(`${file} got shorter while it was being merged; merge again`);
        let off = 0;
        while (off < n) off += writeSync(fd, buf, off, n - off);
        pos += n;
        bytes += n;
      }
    }
  } finally {
    closeSync(src);
  }
  return bytes;
}

/** The row per key of one folder's partials.jsonl: the last completed row, else the last row. */
function pickRows(src: Source, srcIndex: number, each: (key: string, p: Pick) => void): void {
  if (!existsSync(src.partials)) return;
  const best = new Map<string, Pick>();
  for (const l of scanJsonl(src.partials)) {
    if (!l.terminated) break;
    if (!l.text.trim()) continue;
    const row = parseRowLine(src.partials, l.line, l.text);
    const done = rowIsDone(row);
    const prev = best.get(row.key);
    if (!prev || done || !prev.done) best.set(row.key, { src: srcIndex, offset: l.offset, end: l.end, done, judged: row.judge_status !== 'pending' });
  }
  for (const [k, p] of best) each(k, p);
}

function commandFor(cwd: string, json: RunJson | undefined, runId: string, index: number, count: number, shardOut: string | undefined): string {
  if (json?.shard && json.resume_command) return json.resume_command;
  return resumeCommand({ runId, outDir: shardOut ?? resolve(cwd, 'results'), cwd, shard: { index, count } });
}

async function lockOut(out: string, timeoutMs: number): Promise<() => void> {
  const t0 = Date.now();
  for (let i = 0; ; i++) {
    try {
      return acquireRunLock(out);
    } catch (err) {
      if (!(err instanceof RunLockedError) || Date.now() - t0 > timeoutMs || i > 100_000) throw err;
      await sleep(100);
    }
  }
}

/** Copies `from` over `to` atomically. */
function copyAtomic(from: string, to: string): void {
  const tmp = tempPathFor(to);
  try {
    copyFileSync(from, tmp);
    renameWithRetry(tmp, to);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * `awb merge`: checks that the shard folders are of one plan and one shard count, that no key has
 * two different completed rows, and that together they cover the plan (or, with `allowPartial`,
 * records what is missing); then writes one ordinary run folder — partials.jsonl (each key's row
 * once), state.sqlite, cases snapshot, results.csv / .parquet, summary.csv and sycophancy.csv
 * rebuilt from the rows, run.json with each shard's provenance — and carries human labels and
 * reviews over. Streams partials; memory holds one small entry per key.
 */
export async function mergeShards(opts: MergeOptions): Promise<MergeResult> {
  const cwd = opts.cwd ?? process.cwd();
  const warn = opts.warn ?? (() => {});
  const out = resolve(cwd, opts.out);
  if (!opts.dirs.length) throw new MergeError('no shard folders given');
  const show = (d: string) => relative(cwd, d) || d;

  // 1. The sources: every one a shard of the same plan and count.
  const sources: Source[] = [];
  const seen = new Set<string>();
  for (const d of opts.dirs) {
    const dir = resolve(cwd, d);
    if (dir === out || seen.has(dir)) continue;
    seen.add(dir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new MergeError(`${d}: no such folder`);
    let json: RunJson | undefined;
    try { json = readRunJson(dir); } catch (err) { throw new MergeError(`${d}: run.json is not readable (${err instanceof Error ? err.message : String(err)})`); }
    if (!json) throw new MergeError(`${d}: not a run folder (no run.json)`);
    if (json.shard) sources.push({ dir, json, kind: 'shard', index: json.shard.index, partials: join(dir, RUN_FILES.partials), take: [] });
    else if (json.merge) sources.push({ dir, json, kind: 'merged', partials: join(dir, RUN_FILES.partials), take: [] });
    else throw new MergeError(`${d}: not a shard (its run.json has no "shard"; run shards with awb run --shard I/N)`);
    if (isLocked(dir)) warn(`${show(dir)} is still being written by a running awb run; rows it has not written yet are not merged`);
  }
  if (!sources.length) throw new MergeError('no shard folders given (besides the output folder)');
  sources.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'shard' ? -1 : 1) || (a.index ?? 0) - (b.index ?? 0) || (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  const first = sources[0]!.json;
  const plan = first.fingerprint_sha256;
  const count = first.shard?.count ?? first.merge!.count;
  const runId = first.run_id;
  for (const s of sources) {
    const sPlan = s.json.fingerprint_sha256;
    if (sPlan !== plan) {
      const why = diffFingerprints(first.fingerprint, s.json.fingerprint);
      throw new MergeError(`${show(s.dir)} is a shard of another plan than ${show(sources[0]!.dir)} (plan ${sPlan.slice(0, 12)}… vs ${plan.slice(0, 12)}…)${why.length ? `:\n${why.map((w) => `  - ${w}`).join('\n')}` : ''}\nOnly shards of one run (same data, models, personas, judge, limit and grid) can be merged.`);
    }
    const sCount = s.json.shard?.count ?? s.json.merge!.count;
    if (sCount !== count) throw new MergeError(`${show(s.dir)} is shard ${s.json.shard ? formatShard(s.json.shard) : `of ${sCount}`} but ${show(sources[0]!.dir)} is one of ${count} shards: shards of different counts split the plan differently and cannot be merged`);
    if (s.json.run_id !== runId) throw new MergeError(`${show(s.dir)} belongs to run "${s.json.run_id}", ${show(sources[0]!.dir)} to run "${runId}": merge the shards of one run id`);
  }

  mkdirSync(out, { recursive: true });
  const unlock = await lockOut(out, opts.lockTimeoutMs ?? 600_000);
  try {
    // An earlier merge into the output folder (same plan) is one more source, read last.
    const prior = readRunJson(out);
    if (prior) {
      if (prior.shard) throw new MergeError(`${show(out)} is a shard's own folder (shard ${formatShard(prior.shard)}); --out must be another folder, e.g. ${show(join(dirname(out), runId))}`);
      if (prior.fingerprint_sha256 !== plan || prior.run_id !== runId) throw new MergeError(`${show(out)} already holds another run (${prior.run_id}, plan ${prior.fingerprint_sha256.slice(0, 12)}…); choose another --out`);
      sources.push({ dir: out, json: prior, kind: 'merged', partials: join(out, RUN_FILES.partials), take: [] });
    } else if (existsSync(join(out, RUN_FILES.partials))) {
      throw new MergeError(`${show(out)} holds a partials.jsonl but no run.json; choose another --out`);
    }

    // 2. The plan: its cases (from any source's snapshot), split as the runner split them.
    const snapSrc = sources.find((s) => existsSync(join(s.dir, RUN_FILES.cases)));
    if (!snapSrc) throw new MergeError('no shard folder has its cases snapshot (cases.jsonl); was any shard started?');
    const casesFile = join(snapSrc.dir, RUN_FILES.cases);
    const grid = Boolean(first.fingerprint.grid);
    const personas = Object.keys(first.fingerprint.personas);
    const models = first.fingerprint.models.map((m) => m.slug);
    // Each case's id and shard unit, in snapshot order (read once; the coverage check needs them).
    const ids: string[] = [];
    const units: string[] = [];
    for (const l of scanJsonl(casesFile)) {
      if (!l.terminated || !l.text.trim()) continue;
      const c = (JSON.parse(l.text) as SnapshotCase).case;
      ids.push(c.id);
      units.push(shardUnit(c, grid));
    }
    const shardOf = assignShards(plan, units, count);

    // 3. One row per key: the last-row rule within a folder; across folders identical rows, or a
    // completed row over a failed one, or a judged one over the same answer not judged yet.
    const picks = new Map<string, Pick>();
    const conflicts: string[] = [];
    for (let i = 0; i < sources.length; i++) {
      pickRows(sources[i]!, i, (key, p) => {
        const prev = picks.get(key);
        if (!prev) { picks.set(key, p); return; }
        if (!p.done) return;
        if (!prev.done) { picks.set(key, p); return; }
        const a = readRange(sources[prev.src]!.partials, prev.offset, prev.end);
        const b = readRange(sources[i]!.partials, p.offset, p.end);
        if (a === b) return;
        const ra = JSON.parse(a) as ResultRow, rb = JSON.parse(b) as ResultRow;
        if (ra.raw_candidate === rb.raw_candidate && prev.judged !== p.judged) { if (p.judged) picks.set(key, p); return; }
        if (sources[i]!.dir === out) return; // the earlier merge is superseded by the shards themselves
        if (conflicts.length < 10) conflicts.push(`${key}: ${show(sources[prev.src]!.dir)} and ${show(sources[i]!.dir)} hold different completed rows`);
        else if (conflicts.length === 10) conflicts.push('…');
      });
    }
    if (conflicts.length) throw new MergeError(`shards overlap with different rows for the same key (were two folders run as the same shard?):\n${conflicts.map((c) => `  - ${c}`).join('\n')}\nMerge only one folder per shard.`);

    // 4. Coverage, per shard.
    const shards: MergeShard[] = Array.from({ length: count }, (_, index) => ({ index, keys: 0, done: 0, missing: 0, status: 'complete' as const }));
    for (let i = 0; i < ids.length; i++) {
      const sh = shards[shardOf.get(units[i]!)!]!;
      for (const p of personas) for (const m of models) {
        sh.keys++;
        if (picks.get(resultKey(ids[i]!, p, m))?.done) sh.done++;
      }
    }
    ids.length = 0;
    units.length = 0;
    const shardDirs = new Map<number, Source>();
    for (const s of sources) if (s.kind === 'shard' && !shardDirs.has(s.index!)) shardDirs.set(s.index!, s);
    const shardParent = sources.find((s) => s.kind === 'shard')?.dir;
    const parent = shardParent && /\.shard-\d+-of-\d+$/.test(shardParent) ? dirname(shardParent) : undefined;
    let missingKeys = 0;
    for (const sh of shards) {
      sh.missing = sh.keys - sh.done;
      missingKeys += sh.missing;
      if (sh.missing === 0) continue;
      const src = shardDirs.get(sh.index);
      sh.status = src ? 'incomplete' : 'missing';
      sh.command = commandFor(cwd, src?.json, runId, sh.index, count, parent);
    }
    const gaps = shards.filter((s) => s.missing > 0);
    if (gaps.length && !opts.allowPartial) {
      throw new MergeError(`the shards do not cover the run: ${missingKeys} of ${shards.reduce((n, s) => n + s.keys, 0)} keys have no completed row\n${gaps.map((s) => `  - shard ${s.index}/${count}: ${s.status === 'missing' ? 'no folder given' : `${show(shardDirs.get(s.index)!.dir)} is incomplete`}; ${s.missing} of ${s.keys} keys missing — run: ${s.command}`).join('\n')}\nMerge again with the missing shards, or pass --allow-partial to write a run marked partial.`);
    }

    // 5. partials.jsonl: each source's chosen lines, in its file order, copied byte for byte
    // (runs of consecutive lines in one read and write; bounded memory).
    for (const p of picks.values()) sources[p.src]!.take.push([p.offset, p.end]);
    const partialsOut = join(out, RUN_FILES.partials);
    const tmp = tempPathFor(partialsOut);
    const taken = new Map<Source, number>();
    let lines = 0, bytes = 0;
    const fd = openSync(tmp, 'w');
    try {
      for (const s of sources) {
        taken.set(s, s.take.length);
        lines += s.take.length;
        if (s.take.length) bytes += copyRanges(s.partials, s.take.sort((a, b) => a[0] - b[0]), fd);
        s.take = [];
      }
    } finally {
      closeSync(fd);
    }
    renameWithRetry(tmp, partialsOut);

    // 6. The cases snapshot(s), state.sqlite (rebuilt), run.json.
    if (snapSrc.dir !== out) copyAtomic(casesFile, join(out, RUN_FILES.cases));
    const gridSrc = sources.find((s) => existsSync(join(s.dir, RUN_FILES.gridCases)));
    if (gridSrc && gridSrc.dir !== out) copyAtomic(join(gridSrc.dir, RUN_FILES.gridCases), join(out, RUN_FILES.gridCases));
    for (const f of [RUN_FILES.state, `${RUN_FILES.state}.bak`]) rmSync(join(out, f), { force: true });
    const db = await StateDb.open(join(out, RUN_FILES.state));
    try {
      db.setMeta('fingerprint', plan);
      // In a run judged as it goes, a `pending` row is an answer still waiting for its judge: not
      // done. When there are some, the index covers nothing of the file, so the resume reads it
      // all and judges them (never asking the model again).
      const scoreNow = first.config.score === 'now';
      let waiting = 0;
      db.markDoneMany((function* () {
        for (const [k, p] of picks) {
          if (p.done && (p.judged || !scoreNow)) yield k;
          else if (p.done) waiting++;
        }
      })());
      db.checkpoint(waiting ? { offset: 0, line: 0 } : { offset: bytes, line: lines });
    } finally {
      db.close();
    }
    picks.clear();
    opts.collectGarbage?.();

    const now = new Date().toISOString();
    const previous = prior?.merge?.sources ?? [];
    const provenance: MergeSource[] = sources.filter((s) => s.dir !== out).map((s) => ({
      dir: s.dir, kind: s.kind, ...(s.index !== undefined ? { shard: s.index } : {}), run_id: s.json.run_id, status: s.json.status,
      created_at: s.json.created_at, updated_at: s.json.updated_at, rows_taken: taken.get(s) ?? 0,
      counts: { ...s.json.counts }, ...(s.json.scoring?.length ? { scoring: s.json.scoring } : {}),
    }));
    for (const p of previous) if (!provenance.some((q) => q.dir === p.dir)) provenance.push({ ...p, rows_taken: 0 });
    const merge: MergeRecord = { plan_sha256: plan, count, merged_at: now, sources: provenance, shards, missing_keys: missingKeys };
    const planKeys = shards.reduce((n, s) => n + s.keys, 0);
    const { shard: _s, ...base } = first;
    const { shard: _cs, ...config } = base.config as RunJson['config'] & { shard?: unknown };
    const runJson: RunJson = {
      ...base,
      run_id: runId,
      created_at: prior?.created_at ?? now,
      updated_at: now,
      status: 'partial',
      config: { ...config, runId: basename(out), outDir: dirname(out), runDir: out },
      counts: { total: planKeys, done: 0, errors: 0, judge_errors: 0, judge_pending: 0 },
      scoring: sources.filter((s) => s.kind === 'shard').flatMap((s) => s.json.scoring ?? []),
      resume_command: resumeCommand({ runId: basename(out), outDir: dirname(out), cwd }),
      merge,
    };
    delete runJson.status_reason;
    writeRunJson(out, runJson);

    // 7. Results files from the merged rows (never from the shards' summaries).
    opts.collectGarbage?.();
    // partials.jsonl was just written with one row per key: the report takes every line.
    const report = await buildReport(out, { runJson, oneRowPerKey: true, ...(opts.collectGarbage ? { collectGarbage: opts.collectGarbage } : {}) });
    const final = withCounts(runJson, report);
    final.counts = { ...final.counts, total: planKeys };
    final.status = missingKeys === 0 && final.counts.errors === 0 ? 'complete' : 'partial';
    if (missingKeys) final.status_reason = `merged ${sources.filter((s) => s.kind === 'shard').length} of ${count} shards; ${missingKeys} keys missing: ${gaps.map((s) => `shard ${s.index}/${count} (${s.missing})`).join(', ')}`;
    else delete final.status_reason;
    writeRunJson(out, final);

    // 8. Human labels and reviews: every one kept; for the same key (and reviewer) the newest wins.
    let labels = 0, reviews = 0;
    for (const s of sources) {
      if (s.dir === out) continue;
      if (existsSync(join(s.dir, RUN_FILES.reviews))) {
        const mine = new Map((await readReviews(out)).map((r) => [r.key, r]));
        for (const r of await readReviews(s.dir)) {
          const have = mine.get(r.key);
          if (have && have.updated_at >= r.updated_at) continue;
          await saveReview(out, { key: r.key, verdict: r.verdict, attack_success: r.attack_success, note: r.note }, () => new Date(r.updated_at));
          reviews++;
        }
      }
      if (existsSync(join(s.dir, RUN_FILES.labels))) {
        const mine = new Map((await readLabels(out)).map((l) => [`${l.key}\n${l.reviewer}`, l]));
        for (const l of await readLabels(s.dir)) {
          const have = mine.get(`${l.key}\n${l.reviewer}`);
          if (have && have.time >= l.time) continue;
          await writeLabel(out, { key: l.key, reviewer: l.reviewer, stance: l.stance, score: l.score, note: l.note }, () => new Date(l.time));
          labels++;
        }
      }
    }
    fsyncDir(out);
    return { runDir: out, runId: final.run_id, status: final.status === 'complete' ? 'complete' : 'partial', rows: report.rows, planKeys, missingKeys, shards, files: [partialsOut, join(out, RUN_FILES.state), ...report.files], labels, reviews };
  } finally {
    unlock();
  }
}
