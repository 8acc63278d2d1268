import { z } from 'zod';
import { DatasetCardSchema, DATASET_ID_PATTERN, type DatasetCard } from '../schemas/card';
import { ExpectedError } from '../errors';

// Wire shapes of the registry. Field names and nesting are aumai-alignment's (`AlignmentDataset`,
// `MarketplaceListing`, `EvaluationResult`) so a client written for its server works unchanged;
// everything we add is an extra field, never a rename.

const SHA256 = /^[0-9a-f]{64}$/;

/** A star review of a dataset. */
export const ReviewSchema = z.object({
  stars: z.int().min(1).max(5).describe('1 to 5 stars.'),
  text: z.string().max(10_000).optional().describe('Free text of the review.'),
  author: z.string().max(200).optional().describe('Who wrote it.'),
  created_at: z.string().optional().describe('ISO 8601 UTC time; set by the registry.'),
});
export type Review = z.output<typeof ReviewSchema>;

/** What a client sends to add a review. */
export const ReviewInputSchema = ReviewSchema.omit({ created_at: true });
export type ReviewInput = z.output<typeof ReviewInputSchema>;

/** A listing: aumai-alignment's `MarketplaceListing` plus our extras (data hash, times). */
export const ListingSchema = z.object({
  dataset: DatasetCardSchema,
  downloads: z.int().min(0),
  rating: z.number().min(0).max(5).describe('Mean of the stars given; 0 when unrated.'),
  reviews: z.int().min(0).describe('Number of reviews.'),
  sha256: z.string().nullable().describe('sha256 of the data file when it was registered from a local path.'),
  registered_at: z.string(),
  updated_at: z.string(),
  card_path: z.string().nullable().optional().describe('Card file it was registered from (local registries only).'),
  data_path: z.string().nullable().optional().describe('Absolute path of the data (local registries only).'),
});
export type Listing = z.output<typeof ListingSchema>;

/** aumai-alignment's `AlignmentDataset` fields, in its order: every card we return carries all of them. */
const SEED_CARD_FIELDS = ['dataset_id', 'name', 'description', 'category', 'size', 'format', 'license', 'tags', 'download_url', 'quality_score'] as const;

/**
 * A card as we return it (HTTP, `--format json`): every field of aumai-alignment's model in its order,
 * `null` where unset (its `download_url: str | None = None`), then our extra fields.
 */
export function wireCard(card: DatasetCard): DatasetCard & { download_url: string | null; tags: string[] } {
  const out: Record<string, unknown> = {};
  for (const k of SEED_CARD_FIELDS) out[k] = card[k] ?? null;
  out.tags = card.tags ?? [];
  for (const [k, v] of Object.entries(card)) if (!(k in out)) out[k] = v;
  return out as DatasetCard & { download_url: string | null; tags: string[] };
}

/** A listing as we return it: aumai-alignment's `MarketplaceListing` (`dataset`, `downloads`, `rating`, `reviews`), then ours. */
export function wireListing<L extends Listing>(l: L): L {
  return { ...l, dataset: wireCard(l.dataset) };
}

/** aumai-alignment's metrics plus ours; every value is a number so seed clients (dict[str, float]) parse it. */
export const MetricsSchema = z.looseObject({
  mean_score: z.number(),
  min_score: z.number(),
  max_score: z.number(),
  sample_count: z.number(),
  attack_success_rate: z.number().optional(),
  mean_safety: z.number().optional(),
  errors: z.number().optional(),
}).catchall(z.number());
export type Metrics = z.output<typeof MetricsSchema>;

/** aumai-alignment's `EvaluationResult` plus the run it came from and the sha256 of the data it ran on. */
export const EvaluationResultSchema = z.object({
  dataset_id: z.string().regex(DATASET_ID_PATTERN),
  model_name: z.string().min(1).max(500).default('unknown'),
  score: z.number().min(0).max(1),
  metrics: MetricsSchema,
  evaluated_at: z.string().describe('ISO 8601, UTC.'),
  id: z.int().optional().describe('Set by the registry.'),
  run_id: z.string().max(200).nullable().optional(),
  run_dir: z.string().max(4096).nullable().optional(),
  persona: z.string().max(200).nullable().optional(),
  judge: z.string().max(500).nullable().optional(),
  data_sha256: z.string().regex(SHA256).nullable().optional(),
  scorer: z.string().max(500).nullable().optional(),
});
export type EvaluationResult = z.output<typeof EvaluationResultSchema>;

/** `POST /api/evaluations`: a computed result, or outputs for the server to score with the default scorer. */
export const EvaluationInputSchema = z.union([
  z.object({
    dataset_id: z.string(),
    model_name: z.string().min(1).max(500).default('unknown'),
    outputs: z.array(z.unknown()).max(1_000_000).describe('Model outputs, each scored by the default scorer (its `score`).'),
  }),
  EvaluationResultSchema.omit({ id: true }).extend({ evaluated_at: z.string().optional() }),
]);

/** Orders a search can ask for; `quality` is aumai-alignment's. */
export const SORT_KEYS = ['quality', 'downloads', 'rating', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** Search parameters; the query is literal text, never a pattern. */
export const SearchQuerySchema = z.object({
  query: z.string().max(1000).default('').describe('Literal text matched case-insensitively in name, description and tags.'),
  category: z.string().max(200).optional().describe('Exact category, case-insensitive.'),
  min_quality: z.coerce.number().min(0).max(1).default(0).describe('Minimum quality_score.'),
  sort: z.enum(SORT_KEYS).default('quality').describe('quality (default; ties: downloads, id), downloads, rating or name.'),
  limit: z.coerce.number().int().min(1).max(100_000).optional().describe('At most this many listings (ours).'),
});
export type SearchQuery = z.input<typeof SearchQuerySchema>;

/** A card to register, with what the registry records about its data. */
export interface RegisterInput {
  card: DatasetCard;
  /** sha256 of the data file, when known. */
  sha256?: string | null;
  cardPath?: string | null;
  dataPath?: string | null;
}

/**
 * The registry as the CLI, the server and the extension see it: local (a SQLite file) or remote
 * (the HTTP API). All methods are async because the remote one is.
 */
export interface Registry {
  /** Where it lives: a file path or a URL, for messages. */
  readonly location: string;
  register(inputs: RegisterInput[]): Promise<Listing[]>;
  get(id: string): Promise<Listing | undefined>;
  search(q?: SearchQuery): Promise<Listing[]>;
  /** Counts a download; an unknown id is a no-op (as aumai-alignment), returning undefined. */
  incrementDownloads(id: string): Promise<Listing | undefined>;
  addReview(id: string, review: ReviewInput): Promise<Listing>;
  reviews(id: string): Promise<Review[]>;
  addEvaluations(results: Omit<EvaluationResult, 'id'>[]): Promise<EvaluationResult[]>;
  /** Evaluation history of a dataset, newest first; throws NotFoundError for an unknown id. */
  results(id: string): Promise<EvaluationResult[]>;
  /** Loads what a long-lived process (server, editor) searches repeatedly, so the first request is not slow. */
  warmUp?(): Promise<void>;
  close(): Promise<void>;
}

/** An id the registry does not know. */
export class NotFoundError extends ExpectedError {
  override name = 'NotFoundError';
  constructor(readonly datasetId: string) {
    super(`Dataset '${datasetId}' not found`);
  }
}

/** A request the registry refuses (bad review, invalid result), with field-level details. */
export class RegistryInputError extends ExpectedError {
  override name = 'RegistryInputError';
  constructor(message: string, readonly details: { loc: (string | number)[]; msg: string; type: string }[] = []) {
    super(message);
  }
}

/** 64 lower-case hex digits. */
export function isSha256(s: unknown): s is string {
  return typeof s === 'string' && SHA256.test(s);
}

/** The registry file cannot be used (damaged, newer schema, lock not obtained). */
export class RegistryStorageError extends ExpectedError {
  override name = 'RegistryStorageError';
}

/** Fetching a dataset's data failed (no source, download error, sha256 mismatch, target exists). */
export class DataFetchError extends ExpectedError {
  override name = 'DataFetchError';
}
