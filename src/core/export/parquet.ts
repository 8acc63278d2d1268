import { fileWriter, parquetWriteRows } from 'hyparquet-writer';
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

/** Rows per Parquet row group; the exporter also flushes its CSV batch and collects garbage at this pace. */
export const ROW_GROUP_SIZE = 2_000;

const PARQUET_COLUMNS = RESULT_COLUMNS.map((name) => ({ name: String(name), type: TYPES[name] ?? ('STRING' as ParquetType), nullable: true }));

/** A row as the Parquet writer wants it: every column present, objects as JSON text. */
function parquetRecord(row: ResultRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of PARQUET_COLUMNS) {
    const v = (row as Record<string, unknown>)[c.name];
    if (v === undefined || v === null) out[c.name] = null;
    else if (c.type === 'STRING') out[c.name] = typeof v === 'string' ? v : JSON.stringify(v);
    else if (c.type === 'INT32') out[c.name] = typeof v === 'number' ? Math.trunc(v) : null;
    else if (c.type === 'DOUBLE') out[c.name] = typeof v === 'number' && Number.isFinite(v) ? v : null;
    else out[c.name] = typeof v === 'boolean' ? v : null;
  }
  return out;
}

/**
 * Streams rows into a Parquet file (row groups of ROW_GROUP_SIZE, so memory stays bounded). The
 * caller writes to a temp path and renames it.
 */
export async function writeParquet(path: string, rows: Iterable<ResultRow>): Promise<void> {
  const records = (function* () { for (const r of rows) yield parquetRecord(r); })();
  await parquetWriteRows({ writer: fileWriter(path), rows: records, columns: PARQUET_COLUMNS, rowGroupSize: ROW_GROUP_SIZE, createdBy: 'alignment-workbench' });
}
