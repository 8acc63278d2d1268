import { readFile, stat } from 'node:fs/promises';
import { readLines } from '../validate/lineReader';
import { RegistryInputError } from './model';

/** Largest JSON (not JSONL) outputs file read whole; JSONL is streamed line by line. */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

/**
 * Model outputs to score: a JSONL file (one output a line, e.g. a run's partials.jsonl), a JSON
 * list, or a JSON object with an `outputs` list. Errors name the file and line.
 */
export async function readOutputsFile(file: string, displayName = file): Promise<unknown[]> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new RegistryInputError(`${displayName}: file not found`);
  if (/\.jsonl$/i.test(file)) {
    const out: unknown[] = [];
    for await (const ev of readLines(file)) {
      if (ev.kind === 'bad-encoding') throw new RegistryInputError(`${displayName}:${ev.line}:${ev.column}: not valid UTF-8`);
      if (ev.kind === 'too-long') throw new RegistryInputError(`${displayName}:${ev.line}: line is ${ev.bytes} bytes, over the limit`);
      if (ev.text.trim() === '') continue;
      try {
        out.push(JSON.parse(ev.text));
      } catch (err) {
        throw new RegistryInputError(`${displayName}:${ev.line}: ${(err as Error).message}`);
      }
    }
    return out;
  }
  if (info.size > MAX_JSON_BYTES) throw new RegistryInputError(`${displayName}: ${info.size} bytes is too large for a JSON file; use JSONL (one output a line)`);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new RegistryInputError(`${displayName}: ${(err as Error).message}`);
  }
  if (Array.isArray(value)) return value;
  const outputs = (value as { outputs?: unknown } | null)?.outputs;
  if (Array.isArray(outputs)) return outputs;
  throw new RegistryInputError(`${displayName}: expected a JSON list of outputs (or {"outputs": [...]}), or a .jsonl file`);
}
