import { z } from 'zod';
import type { DatasetCard } from '../schemas/card';
import { zodIssuesToProblems } from '../validate/zodIssues';
import {
  EvaluationResultSchema, ListingSchema, NotFoundError, RegistryInputError, ReviewSchema,
  type EvaluationResult, type Listing, type RegisterInput, type Registry, type Review, type ReviewInput, type SearchQuery,
} from './model';
import { ExpectedError } from '../errors';

const TIMEOUT_MS = 30_000;

/** An HTTP error from a remote registry that is neither "not found" nor "invalid input". */
export class RemoteRegistryError extends ExpectedError {
  override name = 'RemoteRegistryError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

// aumai-alignment's server sends pydantic's `None` as null for a card's optional fields: absent.
const NULLABLE_CARD_FIELDS = ['download_url', 'path', 'version', 'taxonomy'];

/**
 * A listing from a remote registry, checked with the same schemas as a local card. A remote
 * registry never names files on this machine: its `card_path` and `data_path` are dropped, so
 * nothing it sends can make us read a local file.
 */
function parseRemoteListing(value: unknown, where: string): Listing {
  let input = value;
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const l = { ...(input as Record<string, unknown>) };
    if (l.dataset && typeof l.dataset === 'object' && !Array.isArray(l.dataset)) {
      const d = { ...(l.dataset as Record<string, unknown>) };
      for (const k of NULLABLE_CARD_FIELDS) if (d[k] === null) delete d[k];
      l.dataset = d;
    }
    input = l;
  }
  const r = ListingSchema.safeParse(input);
  if (!r.success) throw invalidAnswer(where, r.error.issues, input);
  return { ...r.data, card_path: null, data_path: null };
}

function invalidAnswer(where: string, issues: z.core.$ZodIssue[], input: unknown): RemoteRegistryError {
  const problems = zodIssuesToProblems(issues, input).slice(0, 5).map((p) => `${p.path.join('.') || 'the answer'}: ${p.message}`);
  return new RemoteRegistryError(`${where} sent an invalid answer (${problems.join('; ')}); nothing from it was used`);
}

function parseRemote<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidAnswer(where, r.error.issues, value);
  return r.data;
}

/**
 * A registry served by `awb registry serve` (or aumai-alignment's server, for the routes it has) at an
 * http(s) URL. The token, when given, is sent on writes only.
 */
export class RemoteRegistry implements Registry {
  private readonly base: string;

  constructor(readonly location: string, private readonly token?: string) {
    const u = new URL(location);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`registry URL must be http(s): ${location}`);
    if (u.username || u.password) throw new Error('put the registry token in AWB_REGISTRY_TOKEN, not in the URL');
    this.base = u.href.replace(/\/+$/, '');
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error',
      });
    } catch (err) {
      throw new RemoteRegistryError(`cannot reach registry ${this.location}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new RemoteRegistryError(`registry ${this.location} answered ${res.status} with something that is not JSON`, res.status);
    }
    if (res.ok) return { status: res.status, data: data as T };
    const detail = (data as { detail?: unknown } | undefined)?.detail;
    if (res.status === 404) {
      const m = typeof detail === 'string' ? /^Dataset '(.*)' not found$/s.exec(detail) : null;
      throw m ? new NotFoundError(m[1]!) : new RemoteRegistryError(typeof detail === 'string' ? detail : `not found: ${path}`, 404);
    }
    if (res.status === 422 && Array.isArray(detail)) {
      const details = detail as { loc: (string | number)[]; msg: string; type: string }[];
      throw new RegistryInputError(details.map((d) => `${d.loc.filter((x) => x !== 'body').join('.') || 'body'}: ${d.msg}`).join('; '), details);
    }
    if (res.status === 401) throw new RemoteRegistryError(`registry ${this.location} needs a token for writes (set AWB_REGISTRY_TOKEN or --token)`, 401);
    throw new RemoteRegistryError(`registry ${this.location} answered ${res.status}: ${typeof detail === 'string' ? detail : text.slice(0, 200)}`, res.status);
  }

  private get where(): string { return `registry ${this.location}`; }

  private async listingOf(id: string): Promise<Listing> {
    return parseRemoteListing((await this.request<unknown>('GET', `/api/datasets/${encodeURIComponent(id)}/listing`)).data, this.where);
  }

  async register(inputs: RegisterInput[]): Promise<Listing[]> {
    const out: Listing[] = [];
    for (const i of inputs) {
      const body: DatasetCard & { data_sha256?: string } = { ...i.card, ...(i.sha256 ? { data_sha256: i.sha256 } : {}) };
      await this.request('POST', '/api/datasets', body);
      out.push(await this.listingOf(i.card.dataset_id));
    }
    return out;
  }

  async get(id: string): Promise<Listing | undefined> {
    try {
      return await this.listingOf(id);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async search(q: SearchQuery = {}): Promise<Listing[]> {
    const p = new URLSearchParams();
    if (q.query) p.set('query', q.query);
    if (q.category) p.set('category', q.category);
    if (q.min_quality !== undefined) p.set('min_quality', String(q.min_quality));
    if (q.sort) p.set('sort', q.sort);
    if (q.limit !== undefined) p.set('limit', String(q.limit));
    const qs = p.toString();
    const data = (await this.request<unknown>('GET', `/api/datasets${qs ? '?' + qs : ''}`)).data;
    if (!Array.isArray(data)) throw new RemoteRegistryError(`${this.where} sent an invalid answer (a search answers with a list); nothing from it was used`);
    return data.map((l) => parseRemoteListing(l, this.where));
  }

  async incrementDownloads(id: string): Promise<Listing | undefined> {
    try {
      return parseRemoteListing((await this.request<unknown>('POST', `/api/datasets/${encodeURIComponent(id)}/download`, {})).data, this.where);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async addReview(id: string, review: ReviewInput): Promise<Listing> {
    return parseRemoteListing((await this.request<unknown>('POST', `/api/datasets/${encodeURIComponent(id)}/reviews`, review)).data, this.where);
  }

  async reviews(id: string): Promise<Review[]> {
    const data = (await this.request<unknown>('GET', `/api/datasets/${encodeURIComponent(id)}/reviews`)).data;
    // An aumai-alignment server sends null for an absent text or author.
    const reviews = Array.isArray(data) ? data.map((r: unknown) => (r && typeof r === 'object' ? Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) : r)) : data;
    return parseRemote(z.array(ReviewSchema), reviews, this.where);
  }

  async addEvaluations(results: Omit<EvaluationResult, 'id'>[]): Promise<EvaluationResult[]> {
    const out: EvaluationResult[] = [];
    for (const r of results) out.push(parseRemote(EvaluationResultSchema, (await this.request<unknown>('POST', '/api/evaluations', r)).data, this.where));
    return out;
  }

  async results(id: string): Promise<EvaluationResult[]> {
    return parseRemote(z.array(EvaluationResultSchema), (await this.request<unknown>('GET', `/api/evaluations/${encodeURIComponent(id)}?order=newest`)).data, this.where);
  }

  async close(): Promise<void> { /* nothing held open */ }
}
