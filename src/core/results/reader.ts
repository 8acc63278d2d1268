import { open, stat, type FileHandle } from 'node:fs/promises';
import { ResultRowSchema, type ResultRow } from '../runFolder';
import { rowIsDone } from '../runFolder';
import { LineCarry, linesOf } from '../storage/lineCarry';

/** A line of partials.jsonl that could not be read as a result row. */
export interface SkippedLine {
  line: number;
  reason: string;
}

export interface ReadOptions {
  /** Rows per onRows call. */
  batch?: number;
  /** Rows in the first call, so a view can paint before the rest is read. */
  firstBatch?: number;
  signal?: AbortSignal;
}

interface Loc {
  start: number;
  end: number;
  line: number;
  /** The row has no generation error (it counts as done). */
  done: boolean;
}

const BLOCK = 1 << 20;
/** A line longer than this is skipped rather than buffered (a runaway write, not a row). */
const MAX_LINE = 64 * 1024 * 1024;

/**
 * Incremental reader of a run's `partials.jsonl`. The first `readAppended` reads the whole file;
 * each later call reads only the bytes appended since, so a live run streams for the cost of its
 * new rows. A line without its final `\n` is a row still being written: it is left for the next
 * call. Rows are de-duplicated by `key` as results.csv is: the last row without a generation
 * error wins, else the last row (an error after a success is not handed on). A byte index of
 * each key's chosen line serves the case detail without holding judge JSON in memory. If the file shrinks (it was
 * rewritten), the next call starts over and reports `reset`.
 */
export class PartialsReader {
  private pos = 0;
  private lineNo = 0;
  private readonly locs = new Map<string, Loc>();
  private readonly byTest = new Map<string, Set<string>>();
  readonly skipped: SkippedLine[] = [];
  skippedCount = 0;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Distinct keys read so far. */
  get size(): number {
    return this.locs.size;
  }

  /** Bytes consumed so far (up to the end of the last complete line). */
  get offset(): number {
    return this.pos;
  }

  keys(): IterableIterator<string> {
    return this.locs.keys();
  }

  has(key: string): boolean {
    return this.locs.has(key);
  }

  /** Keys of every row of a test id, in first-seen order. */
  keysOfTest(testId: string): string[] {
    return [...(this.byTest.get(testId) ?? [])];
  }

  /**
   * Reads complete lines appended since the last call and hands valid rows to `onRows` in
   * batches of `batch`. Calls are serialized. A missing file reads as empty.
   */
  readAppended(
    onRows: (rows: ResultRow[]) => void | Promise<void>,
    opts: ReadOptions = {},
  ): Promise<{ rows: number; reset: boolean }> {
    const run = this.busy.then(() => this.readOnce(onRows, opts));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async readOnce(
    onRows: (rows: ResultRow[]) => void | Promise<void>,
    { batch = 2000, firstBatch = batch, signal }: ReadOptions,
  ): Promise<{ rows: number; reset: boolean }> {
    let fh: FileHandle;
    try {
      fh = await open(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { rows: 0, reset: false };
      throw e;
    }
    let total = 0;
    let reset = false;
    try {
      const size = (await fh.stat()).size;
      if (size < this.pos) {
        reset = true;
        this.pos = 0;
        this.lineNo = 0;
        this.locs.clear();
        this.byTest.clear();
        this.skipped.length = 0;
        this.skippedCount = 0;
      }
      let out: ResultRow[] = [];
      const lines = new LineCarry(this.pos);
      let readAt = this.pos;
      while (readAt < size) {
        signal?.throwIfAborted();
        const want = Math.min(BLOCK, size - readAt);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, readAt);
        if (bytesRead === 0) break;
        readAt += bytesRead;
        const { block, offset } = lines.take(buf.subarray(0, bytesRead));
        for (const l of linesOf(block, offset)) {
          this.lineNo++;
          const row = this.parseLine(block, l.start, l.end, offset);
          if (row) out.push(row);
          if (out.length >= (total ? batch : firstBatch)) {
            total += out.length;
            await onRows(out);
            out = [];
          }
        }
        if (lines.pending > MAX_LINE) {
          // Skip the runaway line up to its newline rather than growing without bound.
          this.note(this.lineNo + 1, 'line too long');
          const nl = await this.findNewline(fh, readAt, size);
          if (nl < 0) { lines.restart(size); readAt = size; break; }
          this.lineNo++;
          lines.restart(nl + 1);
          readAt = nl + 1;
        }
      }
      // Whatever is left has no newline yet: a row being written. Read it next time.
      this.pos = lines.position;
      if (out.length) {
        total += out.length;
        await onRows(out);
      }
    } finally {
      await fh.close();
    }
    return { rows: total, reset };
  }

  private async findNewline(fh: FileHandle, from: number, size: number): Promise<number> {
    const buf = Buffer.allocUnsafe(BLOCK);
    for (let at = from; at < size; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(BLOCK, size - at), at);
      if (!bytesRead) break;
      const i = buf.subarray(0, bytesRead).indexOf(10);
      if (i >= 0) return at + i;
      at += bytesRead;
    }
    return -1;
  }

  private note(line: number, reason: string): void {
    this.skippedCount++;
    if (this.skipped.length < 100) this.skipped.push({ line, reason });
  }

  private parseLine(block: Buffer, start: number, end: number, blockOffset: number): ResultRow | undefined {
    let e = end;
    if (e > start && block[e - 1] === 13) e--;
    if (e === start) return undefined;
    const text = block.toString('utf8', start, e);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.note(this.lineNo, 'not valid JSON');
      return undefined;
    }
    const parsed = ResultRowSchema.safeParse(value);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      this.note(this.lineNo, first ? `${first.path.join('.') || 'row'}: ${first.message}` : 'not a result row');
      return undefined;
    }
    const row = parsed.data;
    // The row that counts, as in results.csv: the last without a generation error, else the last.
    const done = rowIsDone(row);
    if (this.locs.get(row.key)?.done && !done) return undefined;
    this.locs.set(row.key, { start: blockOffset + start, end: blockOffset + end, line: this.lineNo, done });
    let keys = this.byTest.get(row.test_id);
    if (!keys) this.byTest.set(row.test_id, (keys = new Set()));
    keys.add(row.key);
    return row;
  }

  /** True when the file is now shorter than what was read: it was rewritten, start over. */
  async shrunk(): Promise<boolean> {
    try {
      return (await stat(this.file)).size < this.pos;
    } catch {
      return this.pos > 0;
    }
  }

  /** The latest row of a key, read back from the file (it holds the judge JSON and the rest). */
  async getRow(key: string): Promise<ResultRow | undefined> {
    const loc = this.locs.get(key);
    if (!loc) return undefined;
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(loc.end - loc.start);
      await fh.read(buf, 0, buf.length, loc.start);
      const parsed = ResultRowSchema.safeParse(JSON.parse(buf.toString('utf8')));
      return parsed.success && parsed.data.key === key ? parsed.data : undefined;
    } catch {
      return undefined;
    } finally {
      await fh.close();
    }
  }

  /** 1-based line of a key's latest row in partials.jsonl. */
  lineOf(key: string): number | undefined {
    return this.locs.get(key)?.line;
  }
}
