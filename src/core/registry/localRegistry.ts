import type { Database } from 'sql.js';
import { DatasetCardSchema, type DatasetCard } from '../schemas/card';
import { RegistryFile } from './fileStore';
import {
  EvaluationResultSchema, MetricsSchema, NotFoundError, RegistryInputError, ReviewInputSchema,
  type EvaluationResult, type Listing, type RegisterInput, type Registry, type Review, type ReviewInput, type SearchQuery,
} from './model';
import { indexListing, searchListings, searchText, sortListings, type Indexed } from './search';
import { all } from '../storage/sqljs';

interface ListingRow {
  dataset_id: string;
  card: string;
  sha256: string | null;
  card_path: string | null;
  data_path: string | null;
  downloads: number;
  registered_at: string;
  updated_at: string;
  rating: number | null;
  reviews: number;
}

// Ratings come from correlated subqueries (indexed by dataset) so a filtered query only pays for the rows it returns.
const LISTING_SQL = `
SELECT d.dataset_id, d.card, d.sha256, d.card_path, d.data_path, d.downloads, d.registered_at, d.updated_at,
       (SELECT AVG(stars) FROM reviews r WHERE r.dataset_id = d.dataset_id) AS rating,
       (SELECT COUNT(*) FROM reviews r WHERE r.dataset_id = d.dataset_id) AS reviews
FROM datasets d`;

function toListing(row: ListingRow): Listing {
  return {
    dataset: JSON.parse(row.card) as DatasetCard,
    downloads: row.downloads,
    rating: row.rating ?? 0,
    reviews: row.reviews,
    sha256: row.sha256,
    registered_at: row.registered_at,
    updated_at: row.updated_at,
    card_path: row.card_path,
    data_path: row.data_path,
  };
}

interface EvaluationRow {
  id: number; dataset_id: string; model_name: string; score: number; metrics: string; evaluated_at: string;
  run_id: string | null; run_dir: string | null; persona: string | null; judge: string | null; data_sha256: string | null; scorer: string | null;
}

function toEvaluation(row: EvaluationRow): EvaluationResult {
  return { ...row, metrics: MetricsSchema.parse(JSON.parse(row.metrics)) };
}

const now = (): string => new Date().toISOString();

/**
 * The registry in a SQLite file on this machine. The first search of a process filters in SQL and
 * parses only the matches (a one-shot CLI call); from the second on, all listings are kept in memory
 * with their search text (a server or the editor), rebuilt whenever the file changes.
 */
export class LocalRegistry implements Registry {
  private readonly file: RegistryFile;
  private cache: { generation: number; index: Indexed[]; byId: Map<string, Listing> } | undefined;
  private searches = 0;

  constructor(readonly location: string) {
    this.file = new RegistryFile(location);
  }

  private async snapshot(): Promise<{ index: Indexed[]; byId: Map<string, Listing> }> {
    const db = await this.file.read();
    if (this.cache?.generation !== this.file.generation) {
      const listings = all<ListingRow>(db, LISTING_SQL).map(toListing);
      this.cache = { generation: this.file.generation, index: listings.map(indexListing), byId: new Map(listings.map((l) => [l.dataset.dataset_id, l])) };
    }
    return this.cache;
  }

  async warmUp(): Promise<void> {
    this.searches = Math.max(this.searches, 1);
    await this.snapshot();
  }

  /** The in-memory index when it is current, without building it. */
  private async freshCache(): Promise<{ index: Indexed[]; byId: Map<string, Listing> } | undefined> {
    await this.file.read();
    return this.cache?.generation === this.file.generation ? this.cache : undefined;
  }

  private async listingsWhere(where: string, params: (string | number)[]): Promise<Listing[]> {
    return all<ListingRow>(await this.file.read(), `${LISTING_SQL} WHERE ${where}`, params).map(toListing);
  }

  /**
   * Stores cards in one write. Re-registering an id replaces the card (and its data hash and
   * paths) and keeps downloads, rating and reviews, as aumai-alignment does.
   */
  async register(inputs: RegisterInput[]): Promise<Listing[]> {
    const cards = inputs.map((i) => ({ ...i, card: DatasetCardSchema.parse(i.card) }));
    const ids = await this.file.write((db) => {
      const t = now();
      const stmt = db.prepare(`INSERT INTO datasets (dataset_id, card, search_text, category_lc, quality, sha256, card_path, data_path, downloads, registered_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
        ON CONFLICT(dataset_id) DO UPDATE SET card = excluded.card, search_text = excluded.search_text, category_lc = excluded.category_lc,
          quality = excluded.quality, sha256 = excluded.sha256, card_path = excluded.card_path, data_path = excluded.data_path,
          updated_at = excluded.updated_at`);
      try {
        for (const i of cards) {
          stmt.run([
            i.card.dataset_id, JSON.stringify(i.card), searchText(i.card), i.card.category.toLowerCase(), i.card.quality_score,
            i.sha256 ?? null, i.cardPath ?? null, i.dataPath ?? null, t, t,
          ]);
        }
      } finally {
        stmt.free();
      }
      return cards.map((c) => c.card.dataset_id);
    });
    if (ids.length > 50) {
      const snap = await this.snapshot();
      return ids.map((id) => snap.byId.get(id)!);
    }
    return Promise.all(ids.map(async (id) => (await this.get(id))!));
  }

  async get(id: string): Promise<Listing | undefined> {
    const cache = await this.freshCache();
    if (cache) return cache.byId.get(id);
    return (await this.listingsWhere('d.dataset_id = ?', [id]))[0];
  }

  async search(q: SearchQuery = {}): Promise<Listing[]> {
    const cache = await this.freshCache();
    if (cache) return searchListings(cache.index, q);
    if (this.searches++ > 0) return searchListings((await this.snapshot()).index, q);
    // instr() is a literal substring test: the query is never a pattern, and no LIKE escaping is needed.
    const needle = (q.query ?? '').toLowerCase();
    const category = q.category ? q.category.toLowerCase() : '';
    const found = await this.listingsWhere(
      "d.quality >= ? AND (? = '' OR d.category_lc = ?) AND (? = '' OR instr(d.search_text, ?) > 0)",
      [Number(q.min_quality ?? 0), category, category, needle, needle],
    );
    return sortListings(found, q);
  }

  /** Ids of datasets registered with this data hash, or from this data file. */
  async findByData(opts: { sha256?: string | null; dataPath?: string | null }): Promise<string[]> {
    const ids = new Set<string>();
    for (const l of (await this.snapshot()).byId.values()) {
      if ((opts.sha256 && l.sha256 === opts.sha256) || (opts.dataPath && l.data_path === opts.dataPath)) ids.add(l.dataset.dataset_id);
    }
    return [...ids].sort();
  }

  async incrementDownloads(id: string): Promise<Listing | undefined> {
    if (!(await this.get(id))) return undefined;
    const changed = await this.file.write((db) => {
      db.run('UPDATE datasets SET downloads = downloads + 1 WHERE dataset_id = ?', [id]);
      return db.getRowsModified() > 0;
    });
    return changed ? this.get(id) : undefined;
  }

  async addReview(id: string, review: ReviewInput): Promise<Listing> {
    const parsed = ReviewInputSchema.safeParse(review);
    if (!parsed.success) {
      throw new RegistryInputError('invalid review', parsed.error.issues.map((i) => ({ loc: ['body', ...(i.path as (string | number)[])], msg: i.message, type: i.code })));
    }
    const r = parsed.data;
    await this.file.write((db) => {
      requireDataset(db, id);
      db.run('INSERT INTO reviews (dataset_id, stars, text, author, created_at) VALUES (?, ?, ?, ?, ?)', [id, r.stars, r.text ?? null, r.author ?? null, now()]);
    });
    return (await this.get(id))!;
  }

  async reviews(id: string): Promise<Review[]> {
    const db = await this.file.read();
    requireDataset(db, id);
    return all<{ stars: number; text: string | null; author: string | null; created_at: string }>(db,
      'SELECT stars, text, author, created_at FROM reviews WHERE dataset_id = ? ORDER BY created_at DESC, id DESC', [id])
      .map((r) => ({ stars: r.stars, created_at: r.created_at, ...(r.text !== null ? { text: r.text } : {}), ...(r.author !== null ? { author: r.author } : {}) }));
  }

  /**
   * Appends evaluation results. A result carrying a run id replaces the earlier one of the same
   * run, dataset, model and persona, so recording a resumed run again does not duplicate it.
   */
  async addEvaluations(results: Omit<EvaluationResult, 'id'>[]): Promise<EvaluationResult[]> {
    const parsed = results.map((r, i) => {
      const p = EvaluationResultSchema.safeParse(r);
      if (!p.success) throw new RegistryInputError('invalid evaluation result', p.error.issues.map((x) => ({ loc: ['body', ...(results.length > 1 ? [i] : []), ...(x.path as (string | number)[])], msg: x.message, type: x.code })));
      return p.data;
    });
    if (parsed.length === 0) return [];
    const ids = await this.file.write((db) => parsed.map((r) => {
      requireDataset(db, r.dataset_id);
      if (r.run_id) {
        db.run('DELETE FROM evaluations WHERE dataset_id = ? AND run_id = ? AND model_name = ? AND persona IS ?', [r.dataset_id, r.run_id, r.model_name, r.persona ?? null]);
      }
      db.run(`INSERT INTO evaluations (dataset_id, model_name, score, metrics, evaluated_at, run_id, run_dir, persona, judge, data_sha256, scorer)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        r.dataset_id, r.model_name, r.score, JSON.stringify(r.metrics), r.evaluated_at,
        r.run_id ?? null, r.run_dir ?? null, r.persona ?? null, r.judge ?? null, r.data_sha256 ?? null, r.scorer ?? null,
      ]);
      return Number(db.exec('SELECT last_insert_rowid()')[0]!.values[0]![0]);
    }));
    const db = await this.file.read();
    return ids.map((id) => toEvaluation(all<EvaluationRow>(db, 'SELECT * FROM evaluations WHERE id = ?', [id])[0]!));
  }

  async results(id: string): Promise<EvaluationResult[]> {
    const db = await this.file.read();
    requireDataset(db, id);
    return all<EvaluationRow>(db, 'SELECT * FROM evaluations WHERE dataset_id = ? ORDER BY evaluated_at DESC, id DESC', [id]).map(toEvaluation);
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

function requireDataset(db: Database, id: string): void {
  if (all(db, 'SELECT 1 FROM datasets WHERE dataset_id = ?', [id]).length === 0) throw new NotFoundError(id);
}
