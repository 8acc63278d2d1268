import { closeSync, existsSync, fdatasyncSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';
import { scanJsonl } from '../storage/jsonlScan';
import type { ResultRow } from './row';
import { ExpectedError } from '../errors';

/** A line in the middle of partials.jsonl that is not a row: the run stops rather than guess. */
export class PartialsCorruptError extends ExpectedError {
  override name = 'PartialsCorruptError';
  constructor(readonly file: string, readonly line: number, why: string) {
    super(`${file}:${line}: corrupt line in partials.jsonl (${why}); fix or delete that line, then resume`);
  }
}

/** What loading partials.jsonl found. */
export interface PartialsScan {
  /**
   * Keys with at least one row that has no generation error; in a run judged as it goes
   * (`answered: 'pending'`), not counting rows still waiting for their judge.
   */
  doneKeys: Set<string>;
  /**
   * With `answered: 'pending'`: keys whose answer is in the file (a `judge_status: pending` row)
   * but not judged yet, with the byte range of that row. A resume judges them, never asks again.
   */
  answered: Map<string, [number, number]>;
  rows: number;
  /** Last complete line number and the byte offset just after it. */
  lines: number;
  validEnd: number;
  /** A last line without its `\n` was found and will be dropped (its key runs again). */
  tornTail: boolean;
}

/** A row counts as done when its generation succeeded; judge errors are recorded, not retried. */
export function rowIsDone(row: Pick<ResultRow, 'error'>): boolean {
  return row.error === null || row.error === undefined;
}

/**
 * A row of a run judged as it goes (`score: now`) that holds an answer still waiting for its
 * judge: written as soon as the answer arrives, so a resume judges it instead of paying for the
 * answer again. Its key is not done yet; the judged row appended after it is the one that counts.
 */
export function rowAwaitsJudge(row: Pick<ResultRow, 'error' | 'judge_status'>, scoreNow: boolean): boolean {
  return scoreNow && rowIsDone(row) && row.judge_status === 'pending';
}

/** A line of partials.jsonl as a row; a line that is not one throws PartialsCorruptError. */
export function parseRowLine(file: string, line: number, text: string): ResultRow {
  let row: ResultRow;
  try {
    row = JSON.parse(text) as ResultRow;
  } catch (err) {
    throw new PartialsCorruptError(file, line, err instanceof Error ? err.message : String(err));
  }
  if (row === null || typeof row !== 'object' || typeof row.key !== 'string' || typeof row.test_id !== 'string') {
    throw new PartialsCorruptError(file, line, 'not a result row');
  }
  return row;
}

/**
 * Reads partials.jsonl from `from` (a byte offset and line number already covered by the state
 * DB). A torn last line is reported, not an error; a corrupt terminated line throws with its
 * line number. `onRow` sees every row in file order.
 */
export function scanPartials(
  file: string,
  from: { offset: number; line: number } = { offset: 0, line: 0 },
  onRow?: (row: ResultRow, line: number, offset: number, end: number) => void,
  opts: { scoreNow?: boolean } = {},
): PartialsScan {
  const out: PartialsScan = { doneKeys: new Set(), answered: new Map(), rows: 0, lines: from.line, validEnd: from.offset, tornTail: false };
  const scoreNow = opts.scoreNow === true;
  if (!existsSync(file)) return out;
  for (const l of scanJsonl(file, from.offset, from.line)) {
    if (!l.terminated) { out.tornTail = true; break; }
    if (l.text.trim() === '') { out.lines = l.line; out.validEnd = l.end; continue; }
    const row = parseRowLine(file, l.line, l.text);
    out.rows++;
    if (rowAwaitsJudge(row, scoreNow)) {
      if (!out.doneKeys.has(row.key)) out.answered.set(row.key, [l.offset, l.end]);
    } else if (rowIsDone(row)) {
      out.doneKeys.add(row.key);
      if (scoreNow) out.answered.delete(row.key);
    }
    onRow?.(row, l.line, l.offset, l.end);
    out.lines = l.line;
    out.validEnd = l.end;
  }
  return out;
}

/**
 * Appends rows to partials.jsonl: one `write` per row, each ending in `\n`, synchronously so
 * lines never interleave and the row is in the file before the caller marks its key done.
 * `sync()` makes what was written durable (called before each state checkpoint).
 */
export class PartialsWriter {
  private fd: number;
  private bytes: number;
  private lineCount: number;
  /** The first failed write: every later append fails with it (a line after a torn one would corrupt the file). */
  private failed: unknown;

  /** Opens for appending, first cutting off anything after `validEnd` (a torn last line). */
  constructor(readonly file: string, validEnd: number, lines: number) {
    this.fd = openSync(file, 'a+');
    const size = statSync(file).size;
    if (size > validEnd) ftruncateSync(this.fd, validEnd);
    this.bytes = validEnd;
    this.lineCount = lines;
  }

  /** Appends one row (or its JSON text, when the caller already serialised it). */
  append(row: ResultRow | string): void {
    if (this.failed) throw this.failed;
    const buf = Buffer.from((typeof row === 'string' ? row : JSON.stringify(row)) + '\n', 'utf8');
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (err) {
      this.failed = err;
      // Cut off what part of the line got written (a resume drops a torn line anyway).
      try { ftruncateSync(this.fd, this.bytes); } catch { /* the scan on resume handles it */ }
      throw err;
    }
    this.bytes += buf.length;
    this.lineCount++;
  }

  /** Byte offset and line count of what was appended so far. */
  get position(): { offset: number; line: number } {
    return { offset: this.bytes, line: this.lineCount };
  }

  sync(): void {
    fdatasyncSync(this.fd);
  }

  close(): void {
    try { fdatasyncSync(this.fd); } catch { /* closing anyway */ }
    closeSync(this.fd);
  }
}
