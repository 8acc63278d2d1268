import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { LineCarry } from '../storage/lineCarry';

/** Longest line accepted in a JSONL file; longer ones are reported, not loaded. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

export type LineEvent =
  | { kind: 'line'; text: string; line: number }
  | { kind: 'bad-encoding'; line: number; column: number; byteOffset: number }
  | { kind: 'too-long'; line: number; bytes: number };

/** Position of the first byte that is not valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    if (b < 0x80) { i++; continue; }
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlongs and surrogates.
    const c1 = bytes[i + 1]!;
    if ((b === 0xe0 && c1 < 0xa0) || (b === 0xed && c1 > 0x9f) || (b === 0xf0 && c1 < 0x90) || (b === 0xf4 && c1 > 0x8f)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Streams a file's lines without ever holding the whole file as one string. A UTF-8 BOM at byte
 * 0 is skipped, a trailing `\r` is dropped (CRLF files), line numbers count blank lines.
 */
export async function* readLines(path: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<LineEvent> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20, ...(opts.signal ? { signal: opts.signal } : {}) });
  const lines = new LineCarry();
  let lineNo = 0;
  let read = 0; // bytes of the file read so far
  let first = true;
  let skippingLongLine = false;
  // The line being skipped: its number and its length so far (reported once its end is found).
  let longLine = 0;
  let longBytes = 0;

  function* emitBlock(block: Buffer, blockOffset: number): Generator<LineEvent> {
    // Fast path: the whole block is valid UTF-8, decode once and split.
    if (isUtf8(block)) {
      const text = block.toString('utf8');
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        lineNo++;
        let end = nl;
        if (end > start && text.charCodeAt(end - 1) === 13) end--;
        yield { kind: 'line', text: text.slice(start, end), line: lineNo };
        start = nl + 1;
      }
      return;
    }
    // Slow path: find the line with the bad bytes.
    let start = 0;
    while (start < block.length) {
      const nl = block.indexOf(10, start);
      const end = nl < 0 ? block.length : nl;
      const lineBytes = block.subarray(start, end);
      lineNo++;
      const bad = firstInvalidUtf8(lineBytes);
      if (bad >= 0) {
        const column = lineBytes.subarray(0, bad).toString('utf8').length + 1;
        yield { kind: 'bad-encoding', line: lineNo, column, byteOffset: blockOffset + start + bad };
      } else {
        let text = lineBytes.toString('utf8');
        if (text.endsWith('\r')) text = text.slice(0, -1);
        yield { kind: 'line', text, line: lineNo };
      }
      start = end + 1;
    }
  }

  for await (const chunk0 of stream) {
    let chunk = chunk0 as Buffer;
    let chunkOffset = read;
    read += chunk.length;
    if (first) {
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        chunk = chunk.subarray(3);
        chunkOffset = 3;
        lines.restart(3);
      }
    }
    if (skippingLongLine) {
      const nl = chunk.indexOf(10);
      if (nl < 0) { longBytes += chunk.length; continue; }
      skippingLongLine = false;
      longBytes += nl;
      yield { kind: 'too-long', line: longLine, bytes: longBytes };
      chunk = chunk.subarray(nl + 1);
      lines.restart(chunkOffset + nl + 1);
    }
    const { block, offset } = lines.take(chunk);
    if (block.length === 0) {
      if (lines.pending > MAX_LINE_BYTES) {
        // Reported when its end is found, with its whole length.
        lineNo++;
        longLine = lineNo;
        longBytes = lines.pending;
        skippingLongLine = true;
        lines.restart(read);
      }
      continue;
    }
    // A line inside the block may itself be too long.
    yield* checkLongLines(block, offset);
  }
  if (skippingLongLine) yield { kind: 'too-long', line: longLine, bytes: longBytes };
  const rest = lines.rest();
  if (rest) yield* emitBlock(Buffer.concat([rest.bytes, Buffer.from('\n')]), rest.offset);

  function* checkLongLines(block: Buffer, blockOffset: number): Generator<LineEvent> {
    if (block.length <= MAX_LINE_BYTES) { yield* emitBlock(block, blockOffset); return; }
    let start = 0;
    while (start < block.length) {
      const nl = block.indexOf(10, start);
      const end = nl < 0 ? block.length : nl + 1;
      if (end - start - 1 > MAX_LINE_BYTES) { lineNo++; yield { kind: 'too-long', line: lineNo, bytes: end - start - 1 }; }
      else yield* emitBlock(block.subarray(start, end), blockOffset + start);
      start = end;
    }
  }
}
