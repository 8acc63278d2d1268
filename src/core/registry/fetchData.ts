import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { detectKind } from '../validate/kinds';
import { fileProblem } from '../validate/fileCheck';
import { sha256File } from './cards';
import { DataFetchError, NotFoundError, type Listing, type Registry } from './model';
import { RemoteRegistry } from './remote';

/** Largest download accepted (a guard against a server that never stops sending). */
const MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;

export interface FetchedDataset {
  listing: Listing;
  /** Where the data was written. */
  file: string;
  /** A card beside it (`<id>.dataset.json`) whose `path` points at the data, ready to validate and run. */
  cardFile: string;
  sha256: string;
  /** True when the registry knew the data's sha256 and it matched. */
  verified: boolean;
  source: string;
}

/** A plain file name from untrusted text: no folders, no `..`, nothing a shell or a file system chokes on. */
export function safeFileName(name: string, fallback: string): string {
  const base = basename(name.replace(/\\/g, '/')).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return base || fallback;
}

/**
 * The name the data gets: ours, never the registry's. The dataset id (already restricted to
 * letters, digits, `.`, `-`, `_`) plus an extension from its format; JSONL and YAML data are
 * named as cases files (`ID.cases.jsonl`), so the name can never be a `models.yaml`, a bench or
 * any other file the workbench reads as configuration.
 */
export function dataFileName(l: Pick<Listing, 'dataset'>): string {
  const id = safeFileName(l.dataset.dataset_id, 'dataset');
  const format = (l.dataset.format ?? '').toLowerCase().replace(/[^a-z0-9]/g, '') || 'data';
  // A dataset's own kind (the `.cases.jsonl` / `.cases.yaml` the editor checks), not a run file.
  const ext = format === 'jsonl' || format === 'yaml' ? `cases.${format}` : format === 'yml' ? 'cases.yaml' : format;
  const name = `${id}.${ext}`;
  const kind = detectKind(name);
  return kind && kind !== 'cases-jsonl' && kind !== 'cases-yaml' ? `${id}.data.${ext}` : name;
}

function hashingCounter(hash: ReturnType<typeof createHash>, limit: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > limit) { cb(new DataFetchError(`download is larger than ${limit} bytes; refused`)); return; }
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

async function openSource(l: Listing, local: boolean, signal?: AbortSignal): Promise<{ stream: Readable; source: string }> {
  // Only a registry on this machine may name a file on it (a remote listing's paths are dropped
  // when it is read; this is the second guard). Only regular files are read.
  if (local && l.data_path && !fileProblem(l.data_path)) {
    return { stream: createReadStream(l.data_path), source: l.data_path };
  }
  const url = l.dataset.download_url;
  if (!url) {
    throw new DataFetchError(local && l.data_path
      ? `data file ${l.data_path} no longer exists and the card has no download_url`
      : `dataset '${l.dataset.dataset_id}' has no data here: its card names no local path on this machine and no download_url`);
  }
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new DataFetchError(`download_url must be http(s): ${url}`);
  let res: Response;
  try {
    res = await fetch(u, { signal: signal ?? AbortSignal.timeout(10 * 60_000) });
  } catch (err) {
    throw new DataFetchError(`cannot download ${url}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new DataFetchError(`download of ${url} failed: HTTP ${res.status}`);
  return { stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), source: url };
}

/**
 * Fetches a dataset's data into `toDir` from its local path or its download_url, verifies the
 * sha256 recorded at registration (a mismatch is an error and leaves nothing behind), writes a card
 * beside it, and counts the download. An existing different file is kept unless `force`.
 */
export async function fetchDataset(registry: Registry, id: string, opts: { toDir: string; force?: boolean; signal?: AbortSignal }): Promise<FetchedDataset> {
  const listing = await registry.get(id);
  if (!listing) throw new NotFoundError(id);
  await mkdir(opts.toDir, { recursive: true });
  const file = join(opts.toDir, dataFileName(listing));
  const cardFile = join(opts.toDir, `${safeFileName(listing.dataset.dataset_id, 'dataset')}.dataset.json`);
  const { stream, source } = await openSource(listing, !(registry instanceof RemoteRegistry), opts.signal);
  const tmp = `${file}.${randomBytes(4).toString('hex')}.part`;
  const hash = createHash('sha256');
  try {
    await pipeline(stream, hashingCounter(hash, MAX_DOWNLOAD_BYTES), createWriteStream(tmp, { flags: 'wx' }));
    const sha256 = hash.digest('hex');
    if (listing.sha256 && sha256 !== listing.sha256) {
      throw new DataFetchError(`sha256 mismatch for '${id}' from ${source}: expected ${listing.sha256}, got ${sha256} (the data changed since it was registered)`);
    }
    if (existsSync(file) && !opts.force && (await sha256File(file)) !== sha256) {
      throw new DataFetchError(`${file} already exists with other contents; pass --force to replace it`);
    }
    await rename(tmp, file);
    const card = { ...listing.dataset, path: basename(file) };
    if (!existsSync(cardFile) || opts.force) await writeFile(cardFile, JSON.stringify(card, null, 2) + '\n');
    const counted = await registry.incrementDownloads(id);
    return { listing: counted ?? listing, file, cardFile, sha256, verified: Boolean(listing.sha256), source };
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
