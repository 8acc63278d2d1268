import { closeSync, openSync, readSync } from 'node:fs';
import { LineCarry, linesOf } from './lineCarry';

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
    const lines = new LineCarry(startOffset);
    let pos = startOffset;
    let line = startLine;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      pos += n;
      const { block, offset } = lines.take(chunk.subarray(0, n));
      for (const l of linesOf(block, offset)) {
        line++;
        yield { line, offset: l.offset, end: l.offset + l.end - l.start + 1, text: block.toString('utf8', l.start, l.end), terminated: true };
      }
    }
    const rest = lines.rest();
    if (rest) {
      line++;
      yield { line, offset: rest.offset, end: rest.offset + rest.bytes.length, text: rest.bytes.toString('utf8'), terminated: false };
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
