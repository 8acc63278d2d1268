import { closeSync, existsSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gridSidesFromSnapshot, SycophancyAccumulator, sycophancyCsv } from '../grid/report';
import { RESULT_COLUMNS, type ResultRow } from '../runFolder';
import { rowAwaitsJudge, rowIsDone, scanPartials } from '../runFolder';
import { scanJsonl } from '../storage/jsonlScan';
import { finishedStatus, RUN_FILES, readRunJson, writeRunJson, type RunCounts, type RunJson } from '../runFolder';
import { fsyncDir, renameWithRetry, tempPathFor, writeAtomic } from '../storage/atomic';
import { csvLine, csvLines } from './csv';
import { ROW_GROUP_SIZE, writeParquet } from './parquet';
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
  const scan = scanPartials(partials, { offset: 0, line: 0 }, (row, line, offset) => {
    if (line % 20_000 === 0) collectGarbage?.();
    const done = rowIsDone(row);
    const prev = best.get(row.key);
    if (!prev || done || !prev.done) best.set(row.key, { offset, done });
  });
  return { chosen: new Set([...best.values()].map((b) => b.offset)), tornTail: scan.tornTail };
}

/** The chosen rows in file order. */
export function* chosenRows(partials: string, chosen: Set<number>): Generator<ResultRow> {
  if (!existsSync(partials)) return;
  for (const l of scanJsonl(partials)) {
    if (!l.terminated) break;
    if (chosen.has(l.offset)) yield JSON.parse(l.text) as ResultRow;
  }
}

/**
 * Rebuilds `results.csv`, `results.parquet` and `summary.csv` from partials.jsonl: each key
 * exactly once, whatever state the run was left in; each file written atomically. A grid run
 * (run.json has `grid`) also gets `sycophancy.csv`, from the same rows in the same pass.
 * `runJson` is the run's description (read from the folder when not given); it is not written:
 * the caller records the counts in its own write of run.json (see withCounts).
 */
export async function buildReport(runDir: string, opts: { runJson?: RunJson; collectGarbage?: () => void } = {}): Promise<ReportResult> {
  const partials = join(runDir, RUN_FILES.partials);
  const { chosen, tornTail } = existsSync(partials) ? chooseRows(partials, opts.collectGarbage) : { chosen: new Set<number>(), tornTail: false };
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
    const write = (text: string) => {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(csvFd, buf, off, buf.length - off);
    };
    write(csvLine(RESULT_COLUMNS as string[]));
    // CSV records go out one row group at a time; between groups the batch, the group's records
    // and the Parquet writer's buffers are all garbage, which is when a collection is cheapest
    // and keeps the heap from growing with the row count.
    let batch: unknown[][] = [];
    const flush = () => {
      write(csvLines(batch));
      batch = [];
    };
    // One pass over partials feeds the three outputs.
    const tee = function* (): Generator<ResultRow> {
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
        batch.push(RESULT_COLUMNS.map((c) => (row as Record<string, unknown>)[c]));
        yield row;
        if (batch.length >= ROW_GROUP_SIZE) {
          flush();
          opts.collectGarbage?.();
        }
      }
    };
    await writeParquet(pqTmp, tee());
    flush();
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
