import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { RESULT_COLUMNS, type ResultRow } from '../runFolder';

type ParquetType = 'STRING' | 'DOUBLE' | 'INT32' | 'BOOLEAN';

/** Parquet type of each result column; judge_json is stored as its JSON text. */
const TYPES: Partial<Record<keyof ResultRow, ParquetType>> = {
  attack_success: 'BOOLEAN',
  overall: 'DOUBLE',
  safety_score: 'DOUBLE',
  dataset_line: 'INT32',
  judge_attempts: 'INT32',
  attempts: 'INT32',
  latency_ms: 'DOUBLE',
  judge_latency_ms: 'DOUBLE',
  score: 'DOUBLE',
};

/** Rows per Parquet row group; the exporter also collects garbage at this pace. */
export const ROW_GROUP_SIZE = 2000;

const PARQUET_COLUMNS = RESULT_COLUMNS.map((name) => ({ name: String(name), type: TYPES[name] ?? ('STRING' as ParquetType), nullable: true }));

/** A cell as the Parquet column of `type` stores it: objects as JSON text, anything else of the wrong type as null. */
function parquetValue(type: ParquetType, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (type === 'STRING') return typeof v === 'string' ? v : JSON.stringify(v);
  if (type === 'INT32') return typeof v === 'number' ? Math.trunc(v) : null;
  if (type === 'DOUBLE') return typeof v === 'number' && Number.isFinite(v) ? v : null;
  return typeof v === 'boolean' ? v : null;
}

/**
 * Streams rows into a Parquet file, one row group of ROW_GROUP_SIZE rows at a time (memory holds
 * one group, as column arrays). `add` returns a promise only when the writer flushed
 * asynchronously (await it before adding more). The caller writes to a temp path and renames it.
 */
export class ParquetRowsWriter {
  private readonly pq: ParquetWriter;
  private cols: unknown[][] = PARQUET_COLUMNS.map(() => []);
  private n = 0;

  constructor(path: string) {
    const schema = schemaFromColumnData({ columnData: PARQUET_COLUMNS.map((c) => ({ ...c, data: [] })) });
    this.pq = new ParquetWriter({ writer: fileWriter(path), schema, createdBy: 'alignment-workbench' });
  }

  /** Adds a row, as its cells in RESULT_COLUMNS order; writes a row group when one is full. */
  add(cells: unknown[]): void | Promise<void> {
    for (let i = 0; i < PARQUET_COLUMNS.length; i++) this.cols[i]!.push(parquetValue(PARQUET_COLUMNS[i]!.type, cells[i]));
    if (++this.n >= ROW_GROUP_SIZE) return this.writeGroup();
  }

  /** Writes the rows added since the last group, if any. True when a group was written. */
  private writeGroup(): void | Promise<void> {
    if (this.n === 0) return;
    const columnData = PARQUET_COLUMNS.map((c, i) => ({ ...c, data: this.cols[i]! }));
    const size = this.n;
    this.cols = PARQUET_COLUMNS.map(() => []);
    this.n = 0;
    return this.pq.write({ columnData, rowGroupSize: size });
  }

  /** Writes the last (partial) row group and the footer. */
  async finish(): Promise<void> {
    await this.writeGroup();
    await this.pq.finish();
  }
}
