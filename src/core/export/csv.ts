import { stringify } from 'csv-stringify/sync';
import { writeSync } from 'node:fs';

// Leading characters a spreadsheet skips before deciding a cell is a formula.
const FORMULA = /^[\s\u200B-\u200D\u2060\uFEFF\u00A0]*[=+\-@]|^[\t\r]/;

/**
 * Neutralises a CSV cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or
 * CR first, also after leading whitespace or zero-width characters) by prefixing `'`. Quoting
 * alone does not stop formula execution.
 */
export function escapeFormula(cell: string): string {
  return FORMULA.test(cell) ? `'${cell}` : cell;
}

/** A value as a CSV cell: null is empty, objects are JSON, strings are formula-escaped. */
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return escapeFormula(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return escapeFormula(JSON.stringify(v));
}

/** csv-stringify's options: RFC 4180 quoting, `\n` line endings, a cell with whitespace first or last quoted too. */
const QUOTE_EDGE_SPACE = { record_delimiter: '\n', quoted_match: /^\s|\s$/ };
/** The same for records with no such cell: quoted_match would match nothing there, and searching every cell for it costs. */
const PLAIN = { record_delimiter: '\n' };
const WHITESPACE = /\s/;

function hasEdgeSpace(cells: string[]): boolean {
  for (const c of cells) if (c.length > 0 && (WHITESPACE.test(c[0]!) || WHITESPACE.test(c[c.length - 1]!))) return true;
  return false;
}

/** One CSV record (with its line ending), RFC 4180 quoting by csv-stringify. */
export function csvLine(cells: unknown[]): string {
  return stringify([cells.map(csvCell)], QUOTE_EDGE_SPACE);
}

/**
 * Several CSV records at once: exactly the text of their `csvLine`s joined (every record ends in
 * `\n`), with csv-stringify set up once per run of records instead of once per record.
 */
export function csvLines(records: unknown[][]): string {
  const parts: string[] = [];
  let run: string[][] = [];
  let runEdge = false;
  for (const r of records) {
    const cells = r.map(csvCell);
    const edge = hasEdgeSpace(cells);
    if (run.length && edge !== runEdge) {
      parts.push(stringify(run, runEdge ? QUOTE_EDGE_SPACE : PLAIN));
      run = [];
    }
    runEdge = edge;
    run.push(cells);
  }
  if (run.length) parts.push(stringify(run, runEdge ? QUOTE_EDGE_SPACE : PLAIN));
  return parts.length === 1 ? parts[0]! : parts.join('');
}

/** Records per csv-stringify call: large enough to set it up rarely, small enough that its garbage dies young. */
const CSV_BATCH = 100;
/** Characters of CSV text gathered before one write (little enough that it dies young). */
const CSV_WRITE_BYTES = 1 << 17;

/**
 * Streams CSV records to an open file: the text of their `csvLine`s, in order. Records are
 * stringified a few at a time and written in ~128 KB chunks, so neither the records nor their
 * text pile up in memory.
 */
export class CsvWriter {
  private records: unknown[][] = [];
  private text: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  add(cells: unknown[]): void {
    this.records.push(cells);
    if (this.records.length >= CSV_BATCH) this.stringify();
  }

  private stringify(): void {
    if (!this.records.length) return;
    const t = csvLines(this.records);
    this.records = [];
    this.text.push(t);
    this.size += t.length;
    if (this.size >= CSV_WRITE_BYTES) this.write();
  }

  private write(): void {
    if (!this.text.length) return;
    const buf = Buffer.from(this.text.length === 1 ? this.text[0]! : this.text.join(''), 'utf8');
    this.text = [];
    this.size = 0;
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
  }

  /** Writes everything added so far. */
  flush(): void {
    this.stringify();
    this.write();
  }
}
