/**
 * The one line splitter of our JSONL readers (the partials scanner, the results view's
 * incremental reader, the validator's line reader): bytes arrive chunk by chunk, whole lines go
 * out as one block with its file offset, and the unfinished last line waits for the next chunk.
 * Splitting on the byte `\n` is safe in UTF-8: it never occurs inside a multi-byte character.
 */
export class LineCarry {
  private carry: Buffer = Buffer.alloc(0);

  /** `offset`: the file offset of the first byte that will be given. */
  constructor(private offset = 0) {}

  /**
   * The whole lines of what was carried plus `chunk` (`\n` included; empty when there is no
   * newline yet) and the file offset of its first byte. The rest is copied aside, so the caller
   * may reuse `chunk`'s memory for its next read.
   */
  take(chunk: Buffer): { block: Buffer; offset: number } {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = buf.lastIndexOf(10) + 1;
    this.carry = end < buf.length ? Buffer.from(buf.subarray(end)) : Buffer.alloc(0);
    const offset = this.offset;
    this.offset += end;
    return { block: buf.subarray(0, end), offset };
  }

  /** The file offset just after the last whole line given out (where the carried bytes start). */
  get position(): number {
    return this.offset;
  }

  /** Bytes waiting for their newline. */
  get pending(): number {
    return this.carry.length;
  }

  /** The unfinished last line (a write cut off, or a file without a final newline), if any. */
  rest(): { bytes: Buffer; offset: number } | undefined {
    return this.carry.length ? { bytes: this.carry, offset: this.offset } : undefined;
  }

  /** Forgets what is carried and goes on from file offset `offset` (a runaway line skipped). */
  restart(offset: number): void {
    this.carry = Buffer.alloc(0);
    this.offset = offset;
  }
}

/** Each line of a block of whole lines: `[start, end)` without its `\n`, and its file offset. */
export function* linesOf(block: Buffer, offset: number): Generator<{ start: number; end: number; offset: number }> {
  for (let start = 0, nl = block.indexOf(10); nl >= 0; start = nl + 1, nl = block.indexOf(10, start)) {
    yield { start, end: nl, offset: offset + start };
  }
}
