import { closeSync, openSync, readSync } from 'node:fs';

/** One line of a JSONL file we wrote ourselves, with its byte range. */
export interface ScannedLine {
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just after the line's `\n` (or the end of file for an unterminated line). */
  end: number;
  text: string;
  /** False for a last line with no `\n`: a write that was cut off. */
  terminated: boolean;
}

/**
 * Reads a file line by line from `startOffset`, in 1 MB chunks, keeping byte offsets (our own
 * files are UTF-8 and `\n` never occurs inside a multi-byte character). Synchronous reads keep it
 * simple and are fast on local files; the caller yields to the event loop between batches.
 */
export function* scanJsonl(path: string, startOffset = 0, startLine = 0): Generator<ScannedLine> {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let carry: Buffer = Buffer.alloc(0);
    let pos = startOffset;
    let carryOffset = startOffset;
    let line = startLine;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      pos += n;
      const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        line++;
        yield { line, offset: carryOffset + start, end: carryOffset + nl + 1, text: buf.toString('utf8', start, nl), terminated: true };
        start = nl + 1;
      }
      carry = Buffer.from(buf.subarray(start));
      carryOffset += start;
    }
    if (carry.length) {
      line++;
      yield { line, offset: carryOffset, end: carryOffset + carry.length, text: carry.toString('utf8'), terminated: false };
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads one line given its byte range. */
export function readRange(path: string, offset: number, end: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(end - offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.toString('utf8', 0, got).replace(/\n$/, '');
  } finally {
    closeSync(fd);
  }
}
