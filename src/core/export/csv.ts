import { stringify } from 'csv-stringify/sync';

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

/** One CSV record (with its line ending), RFC 4180 quoting by csv-stringify. */
export function csvLine(cells: unknown[]): string {
  return stringify([cells.map(csvCell)], { record_delimiter: '\n', quoted_match: /^\s|\s$/ });
}

/**
 * Several CSV records at once: exactly the text of their `csvLine`s joined (every record ends in
 * `\n`), with csv-stringify set up once per batch instead of once per record.
 */
export function csvLines(records: unknown[][]): string {
  if (records.length === 0) return '';
  return stringify(records.map((cells) => cells.map(csvCell)), { record_delimiter: '\n', quoted_match: /^\s|\s$/ });
}
