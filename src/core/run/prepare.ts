import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { DataError, hasErrors, loadCases } from '../data/load';
import { appendAll, type Diagnostic } from '../diagnostics';
import type { Scorer } from '../judge/scorer';
import { displayPath, type ResolvedRunConfig } from './config';
import { computeFingerprint, fingerprintHash, type Fingerprint } from './fingerprint';
import { baseRow, buildMessages, type SnapshotCase } from './plan';

export interface PreparedData {
  datasets: { path: string; sha256: string; cases: number }[];
  totalCases: number;
  fingerprint: Fingerprint;
  fingerprintSha256: string;
  /** Warnings and infos found in the data (errors stop the run instead). */
  warnings: Diagnostic[];
  /** Requests a dry run built: generation messages per key. */
  requestsBuilt: number;
}

/** Buffers small writes into ~256 KB chunks for the snapshot file. */
class ChunkWriter {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 256 * 1024) this.flush();
  }
  flush(): void {
    if (!this.parts.length) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.parts = [];
    this.size = 0;
  }
}

/**
 * Validates every dataset (a run refuses to start on data with errors and reports each one),
 * hashes them, checks ids are unique across datasets, and writes the cases as run into
 * `snapshotFile` (the caller renames it into place). Cases are streamed, never all in memory.
 */
export async function prepareData(
  cfg: ResolvedRunConfig,
  scorer: Scorer<unknown>,
  opts: { snapshotFile?: string; signal?: AbortSignal; onCase?: (c: SnapshotCase) => void; collectGarbage?: () => void } = {},
): Promise<PreparedData> {
  const diagnostics: Diagnostic[] = [];
  const datasets: PreparedData['datasets'] = [];
  // id → where it was first seen (dataset index, line): numbers, so 100,000 ids stay small.
  const firstSeen = new Map<string, [number, number | null]>();
  const only = cfg.caseIds ? new Set(cfg.caseIds) : undefined;
  const fd = opts.snapshotFile ? openSync(opts.snapshotFile, 'w') : undefined;
  const out = fd !== undefined ? new ChunkWriter(fd) : undefined;
  let requestsBuilt = 0;
  let kept = 0, keptBefore = 0;
  try {
    for (const file of cfg.datasets) {
      const display = displayPath(cfg.cwd, file);
      const dsIndex = datasets.length;
      const r = await loadCases(
        file,
        ({ case: c, line }) => {
          const prev = firstSeen.get(c.id);
          if (prev !== undefined) {
            const where = `${prev[0] === dsIndex ? display : datasets[prev[0]]!.path}:${prev[1] ?? '?'}`;
            diagnostics.push({ file: display, line: line ?? 1, column: 1, endLine: line ?? 1, endColumn: 2, severity: 'error', rule: 'duplicate-id', message: `case id "${c.id}" is also used at ${where}; ids must be unique across the datasets of a run` });
            return;
          }
          firstSeen.set(c.id, [dsIndex, line]);
          if (only && !only.has(c.id)) return;
          kept++;
          if (firstSeen.size % 10_000 === 0) opts.collectGarbage?.();
          const snap: SnapshotCase = { dataset: display, line, case: c };
          out?.write(JSON.stringify(snap) + '\n');
          opts.onCase?.(snap);
          if (cfg.dryRun) {
            for (const p of cfg.personas) { buildMessages(p, c); requestsBuilt += cfg.models.length; }
            if (cfg.score === 'now') scorer.buildMessages(baseRow('dry-run', snap, 'default', cfg.judge.slug, cfg.judge.model, ''), c);
          }
        },
        { displayName: display, ...(cfg.limit !== undefined ? { limit: cfg.limit } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      appendAll(diagnostics, r.diagnostics);
      datasets.push({ path: display, sha256: r.sha256, cases: only ? kept - keptBefore : r.count });
      keptBefore = kept;
    }
    out?.flush();
    if (fd !== undefined) fsyncSync(fd);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (only) {
    const missing = [...only].filter((id) => !firstSeen.has(id));
    if (missing.length) diagnostics.push({ file: displayPath(cfg.cwd, cfg.datasets[0] ?? ''), line: 1, column: 1, endLine: 1, endColumn: 2, severity: 'error', rule: 'unknown-case', message: `no case with id ${missing.map((m) => `"${m}"`).join(', ')} in the datasets` });
  }
  if (hasErrors(diagnostics)) throw new DataError(diagnostics);
  // Names, not paths, so resuming from another working folder matches.
  const fingerprint = computeFingerprint(cfg, datasets.map(({ path, sha256 }) => ({ path: path.split(/[\\/]/).pop()!, sha256 })), scorer.describe());
  return {
    datasets,
    totalCases: datasets.reduce((n, d) => n + d.cases, 0),
    fingerprint,
    fingerprintSha256: fingerprintHash(fingerprint),
    warnings: diagnostics,
    requestsBuilt,
  };
}
