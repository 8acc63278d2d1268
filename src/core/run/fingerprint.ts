import { createHash } from 'node:crypto';
import { redact } from '../log';
import type { ResolvedModel } from '../providers/models';
import type { Fingerprint, GridPrint, ModelPrint, ResolvedRunConfig } from './types';

export type { Fingerprint, GridPrint } from './types';
import { ExpectedError } from '../errors';



/** The grid part of a run's fingerprint (undefined for a run without a grid). */
export function gridPrint(cfg: Pick<ResolvedRunConfig, 'grid'>): GridPrint | undefined {
  const g = cfg.grid;
  if (!g) return undefined;
  return { file: g.file.split(/[\\/]/).pop()!, sha256: createHash('sha256').update(JSON.stringify(g.spec)).digest('hex'), include_neutral: g.includeNeutral, limit: g.limit ?? null, seed: g.seed };
}

/** What differs between two grid prints, in words. */
export function diffGridPrints(before: GridPrint | undefined, after: GridPrint | undefined): string[] {
  if (!before && !after) return [];
  if (!before) return [`grid added: ${after!.file}`];
  if (!after) return [`grid removed: ${before.file}`];
  const out: string[] = [];
  if (before.sha256 !== after.sha256) out.push(`grid changed: ${after.file} (content differs)`);
  if (before.include_neutral !== after.include_neutral) out.push(`grid neutral perspective: ${before.include_neutral ? 'included' : 'not included'} → ${after.include_neutral ? 'included' : 'not included'}`);
  if (before.limit !== after.limit) out.push(`grid limit: ${fmt(before.limit)} → ${fmt(after.limit)} groups`);
  if (before.seed !== after.seed) out.push(`grid seed: ${fmt(before.seed)} → ${fmt(after.seed)}`);
  return out;
}


function modelPrint(m: ResolvedModel): ModelPrint {
  return { slug: m.slug, model: m.model, baseURL: redact(m.baseURL), params: sortKeys(m.params) };
}

function sortKeys<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b))) as T;
}

export function computeFingerprint(cfg: ResolvedRunConfig, datasets: { path: string; sha256: string }[], scorer: Record<string, unknown>): Fingerprint {
  return {
    datasets,
    limit: cfg.limit ?? null,
    ...(cfg.caseIds ? { cases: [...cfg.caseIds].sort() } : {}),
    ...(cfg.grid ? { grid: gridPrint(cfg)! } : {}),
    models: cfg.models.map(modelPrint),
    personas: Object.fromEntries(cfg.personas.map((p) => [p.slug, p.systemPrompt])),
    score: cfg.score,
    judge: cfg.score === 'now' ? { ...modelPrint(cfg.judge), scorer } : null,
  };
}

export function fingerprintHash(f: Fingerprint): string {
  return createHash('sha256').update(JSON.stringify(f)).digest('hex');
}

const fmt = (v: unknown) => (v === undefined || v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

/** Human-readable differences between a stored fingerprint and a new one (empty when equal). */
export function diffFingerprints(before: Fingerprint, after: Fingerprint): string[] {
  const out: string[] = [];
  const dsBefore = new Map(before.datasets.map((d) => [d.path, d.sha256]));
  const dsAfter = new Map(after.datasets.map((d) => [d.path, d.sha256]));
  for (const [p, h] of dsAfter) {
    if (!dsBefore.has(p)) out.push(`dataset added: ${p}`);
    else if (dsBefore.get(p) !== h) out.push(`dataset changed: ${p} (content differs: sha256 ${dsBefore.get(p)!.slice(0, 12)}… → ${h.slice(0, 12)}…)`);
  }
  for (const p of dsBefore.keys()) if (!dsAfter.has(p)) out.push(`dataset removed: ${p}`);
  if (before.limit !== after.limit) out.push(`limit: ${fmt(before.limit)} → ${fmt(after.limit)}`);
  out.push(...diffGridPrints(before.grid, after.grid));
  if (JSON.stringify(before.cases ?? null) !== JSON.stringify(after.cases ?? null)) out.push(`case selection: ${fmt(before.cases ?? 'all')} → ${fmt(after.cases ?? 'all')}`);
  out.push(...diffModels('model', before.models, after.models));
  const pb = before.personas, pa = after.personas;
  for (const s of Object.keys(pa)) {
    if (!(s in pb)) out.push(`persona added: ${s}`);
    else if (pb[s] !== pa[s]) out.push(`persona changed: ${s} (system prompt differs)`);
  }
  for (const s of Object.keys(pb)) if (!(s in pa)) out.push(`persona removed: ${s}`);
  if (before.score !== after.score) out.push(`scoring: ${before.score} → ${after.score}`);
  if (before.judge && after.judge) {
    out.push(...diffModels('judge', [before.judge], [after.judge]));
    if (JSON.stringify(before.judge.scorer) !== JSON.stringify(after.judge.scorer)) out.push('judge prompt changed (scorer or its instructions differ)');
  }
  return out;
}

function diffModels(what: string, before: ModelPrint[], after: ModelPrint[]): string[] {
  const out: string[] = [];
  const b = new Map(before.map((m) => [m.slug, m]));
  const a = new Map(after.map((m) => [m.slug, m]));
  if (what === 'judge' && before[0] && after[0] && before[0].slug !== after[0].slug) {
    return [`judge model: ${before[0].slug} → ${after[0].slug}`];
  }
  for (const [slug, m] of a) {
    const o = b.get(slug);
    if (!o) { out.push(`${what} added: ${slug}`); continue; }
    if (o.model !== m.model) out.push(`${what} ${slug}: model name ${o.model} → ${m.model}`);
    if (o.baseURL !== m.baseURL) out.push(`${what} ${slug}: base URL ${o.baseURL} → ${m.baseURL}`);
    const keys = new Set([...Object.keys(o.params), ...Object.keys(m.params)]);
    for (const k of keys) if (JSON.stringify(o.params[k]) !== JSON.stringify(m.params[k])) out.push(`${what} ${slug}: ${k} ${fmt(o.params[k])} → ${fmt(m.params[k])}`);
  }
  for (const slug of b.keys()) if (!a.has(slug)) out.push(`${what} removed: ${slug}`);
  return out;
}

/** Resuming with different inputs would mix two experiments in one results file. */
export class ResumeMismatchError extends ExpectedError {
  override name = 'ResumeMismatchError';
  constructor(readonly runId: string, readonly changes: string[]) {
    super(`run ${runId} was started with different inputs; refusing to resume it:\n` + changes.map((c) => `  - ${c}`).join('\n') + `\nStart a new run (without --run-id), or restore the original inputs.`);
  }
}
