import { closeSync, existsSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gridSidesFromSnapshot, SycophancyAccumulator, sycophancyCsv } from '../grid/report';
import { RESULT_COLUMNS, type ResultRow } from '../runFolder';
import { parseRowLine, rowAwaitsJudge, rowIsDone } from '../runFolder';
import { scanJsonl } from '../storage/jsonlScan';
import { finishedStatus, RUN_FILES, readRunJson, writeRunJson, type RunCounts, type RunJson } from '../runFolder';
import { fsyncDir, renameWithRetry, tempPathFor, writeAtomic } from '../storage/atomic';
import { csvLine, CsvWriter } from './csv';
import { ParquetRowsWriter, ROW_GROUP_SIZE } from './parquet';
import { SUMMARY_COLUMNS, SummaryBuilder, type MeasuredCell } from './summary';

export interface ReportResult {
  /** Rows in the artifacts: one per key. */
  rows: number;
  counts: Omit<RunCounts, 'total'>;
  files: string[];
  /** A torn last line of partials.jsonl was left out. */
  tornTail: boolean;
  /** Attack success and error counts per model × persona. */
  measured: MeasuredCell[];
  /** The first judge error in file order, with its key. */
  firstJudgeError?: { key: string; error: string };
}

/**
 * The latest row of each key: the last row without a generation error when there is one, else
 * the last row. Returns the byte offsets of the chosen lines.
 */
export function chooseRows(partials: string, collectGarbage?: () => void): { chosen: Set<number>; tornTail: boolean } {
  const best = new Map<string, { offset: number; done: boolean }>();
  let tornTail = false;
  if (existsSync(partials)) {
    for (const l of scanJsonl(partials)) {
      if (!l.terminated) { tornTail = true; break; }
      if (l.text.trim() === '') continue;
      if (l.line % 20_000 === 0) collectGarbage?.();
      const row = parseRowLine(partials, l.line, l.text);
      const done = rowIsDone(row);
      const prev = best.get(row.key);
      if (!prev) best.set(row.key, { offset: l.offset, done });
      else if (done || !prev.done) { prev.offset = l.offset; prev.done = done; }
    }
  }
  const chosen = new Set<number>();
  for (const b of best.values()) chosen.add(b.offset);
  return { chosen, tornTail };
}

/** The chosen rows in file order; `'all'`: every complete line (a file with one row per key). */
export function* chosenRows(partials: string, chosen: Set<number> | 'all'): Generator<ResultRow> {
  if (!existsSync(partials)) return;
  for (const l of scanJsonl(partials)) {
    if (!l.terminated) break;
    if (chosen === 'all' ? l.text.trim() !== '' : chosen.has(l.offset)) yield parseRowLine(partials, l.line, l.text);
  }
}

/**
 * Rebuilds `results.csv`, `results.parquet` and `summary.csv` from partials.jsonl: each key
 * exactly once, whatever state the run was left in; each file written atomically. A grid run
 * (run.json has `grid`) also gets `sycophancy.csv`, from the same rows in the same pass.
 * `runJson` is the run's description (read from the folder when not given); it is not written:
 * the caller records the counts in its own write of run.json (see withCounts). `oneRowPerKey`:
 * partials.jsonl holds exactly one row per key and no torn line (a merge writes it so), so every
 * line is taken without first reading the file to choose.
 */
export async function buildReport(runDir: string, opts: { runJson?: RunJson; collectGarbage?: () => void; oneRowPerKey?: boolean } = {}): Promise<ReportResult> {
  const partials = join(runDir, RUN_FILES.partials);
  const { chosen, tornTail } = opts.oneRowPerKey
    ? { chosen: 'all' as const, tornTail: false }
    : existsSync(partials) ? chooseRows(partials, opts.collectGarbage) : { chosen: new Set<number>(), tornTail: false };
  opts.collectGarbage?.();
  const counts = { done: 0, errors: 0, judge_errors: 0, judge_pending: 0 };
  const summary = new SummaryBuilder();
  const before = opts.runJson ?? readRunJson(runDir);
  const grid = gridSidesFromSnapshot({ grid: before?.grid });
  // A score-now run's `pending` row is an answer waiting for its judge: not done until judged.
  const scoreNow = before?.config?.score === 'now';
  const sycophancy = grid ? new SycophancyAccumulator({ sides: grid.sides, thresholds: grid.thresholds }) : undefined;
  const csvPath = join(runDir, RUN_FILES.csv);
  const parquetPath = join(runDir, RUN_FILES.parquet);
  const summaryPath = join(runDir, RUN_FILES.summary);
  const csvTmp = tempPathFor(csvPath);
  const pqTmp = tempPathFor(parquetPath);
  let rows = 0;
  let firstJudgeError: ReportResult['firstJudgeError'];
  const csvFd = openSync(csvTmp, 'w');
  try {
    // One pass over partials feeds every output. CSV text goes out in ~1 MB chunks and Parquet
    // one row group at a time; after each group the group's column arrays are garbage, which is
    // when a collection is cheapest and keeps the heap from growing with the row count.
    const csv = new CsvWriter(csvFd);
    csv.add(RESULT_COLUMNS);
    const parquet = new ParquetRowsWriter(pqTmp);
    for (const row of chosenRows(partials, chosen)) {
      rows++;
      if (!rowIsDone(row)) counts.errors++;
      else if (rowAwaitsJudge(row, scoreNow)) counts.judge_pending++;
      else {
        counts.done++;
        if (row.judge_status === 'error') {
          counts.judge_errors++;
          firstJudgeError ??= { key: row.key, error: row.judge_error ?? 'judge error' };
        }
        else if (row.judge_status !== 'ok') counts.judge_pending++;
      }
      summary.add(row);
      sycophancy?.add(row);
      // The row's cells in column order, objects (judge_json) as their JSON text once for both files.
      const cells = RESULT_COLUMNS.map((c) => {
        const v = (row as Record<string, unknown>)[c];
        return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
      });
      csv.add(cells);
      const pending = parquet.add(cells);
      if (pending) await pending;
      if (rows % ROW_GROUP_SIZE === 0) opts.collectGarbage?.();
    }
    await parquet.finish();
    csv.flush();
    fsyncSync(csvFd);
  } catch (err) {
    closeSync(csvFd);
    rmSync(csvTmp, { force: true });
    rmSync(pqTmp, { force: true });
    throw err;
  }
  closeSync(csvFd);
  const pqFd = openSync(pqTmp, 'r+');
  fsyncSync(pqFd);
  closeSync(pqFd);
  renameWithRetry(csvTmp, csvPath);
  renameWithRetry(pqTmp, parquetPath);
  await writeAtomic(summaryPath, (fd) => {
    const text = csvLine([...SUMMARY_COLUMNS]) + summary.rows().map((r) => csvLine(SUMMARY_COLUMNS.map((c) => r[c]))).join('');
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  });
  const files = [csvPath, parquetPath, summaryPath];
  if (sycophancy) {
    const sycPath = join(runDir, RUN_FILES.sycophancy);
    const text = sycophancyCsv(sycophancy.finish());
    await writeAtomic(sycPath, (fd) => {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    });
    files.push(sycPath);
  }
  fsyncDir(dirname(csvPath));
  return { rows, counts, files, tornTail, measured: summary.byModelPersona(), ...(firstJudgeError ? { firstJudgeError } : {}) };
}

/**
 * run.json with the counts of a rebuilt report: the total stays the plan's (at least the rows
 * found), and a run recorded `complete` whose rows say otherwise becomes `partial`.
 */
export function withCounts(rj: RunJson, report: Pick<ReportResult, 'rows' | 'counts'>): RunJson {
  const counts = { total: Math.max(rj.counts?.total ?? 0, report.rows), ...report.counts };
  const status = rj.status === 'complete' && finishedStatus(counts, rj.config?.score === 'later') !== 'complete' ? 'partial' : rj.status;
  return { ...rj, counts, status, updated_at: new Date().toISOString() };
}

/** `awb report`: rebuilds the files, then records the counts in run.json (its one write). */
export async function rebuildReport(runDir: string): Promise<ReportResult> {
  const rj = readRunJson(runDir);
  const report = await buildReport(runDir, rj ? { runJson: rj } : {});
  if (rj) writeRunJson(runDir, withCounts(rj, report));
  return report;
}
