import type { DatasetCard } from '../schemas/card';
import type { Listing, SearchQuery, SortKey } from './model';

/** A listing with its lower-cased search text, computed once per load. */
export interface Indexed {
  listing: Listing;
  /** name + description + tags joined by spaces (as aumai-alignment searches), lower-cased. */
  haystack: string;
  category: string;
}

/** What the text query is matched against: name + description + tags joined by spaces (as aumai-alignment), lower-cased. */
export function searchText(card: DatasetCard): string {
  return [card.name, card.description, ...(card.tags ?? [])].join(' ').toLowerCase();
}

/** A listing with what searching it needs, computed once. */
export function indexListing(listing: Listing): Indexed {
  return { listing, haystack: searchText(listing.dataset), category: listing.dataset.category.toLowerCase() };
}

/** Sorts listings in place by the requested key (quality by default) and applies the limit. */
export function sortListings(listings: Listing[], q: SearchQuery = {}): Listing[] {
  listings.sort(COMPARATORS[q.sort ?? 'quality']);
  return q.limit !== undefined ? listings.slice(0, Number(q.limit)) : listings;
}

const byId = (a: Listing, b: Listing): number => (a.dataset.dataset_id < b.dataset.dataset_id ? -1 : a.dataset.dataset_id > b.dataset.dataset_id ? 1 : 0);

const COMPARATORS: Record<SortKey, (a: Listing, b: Listing) => number> = {
  quality: (a, b) => b.dataset.quality_score - a.dataset.quality_score || b.downloads - a.downloads || byId(a, b),
  downloads: (a, b) => b.downloads - a.downloads || b.dataset.quality_score - a.dataset.quality_score || byId(a, b),
  rating: (a, b) => b.rating - a.rating || b.reviews - a.reviews || b.dataset.quality_score - a.dataset.quality_score || byId(a, b),
  name: (a, b) => a.dataset.name.localeCompare(b.dataset.name, 'en', { sensitivity: 'base' }) || byId(a, b),
};

/**
 * aumai-alignment's search: minimum quality, then category (exact, case-insensitive), then the query as
 * literal text (case-insensitive) in name + description + tags; an empty query matches everything.
 * Sorted by quality descending, ties by downloads then id, unless another sort is asked for.
 */
export function searchListings(index: readonly Indexed[], q: SearchQuery = {}): Listing[] {
  const needle = (q.query ?? '').toLowerCase();
  const category = q.category ? q.category.toLowerCase() : undefined;
  const minQuality = Number(q.min_quality ?? 0);
  const out: Listing[] = [];
  for (const it of index) {
    if (it.listing.dataset.quality_score < minQuality) continue;
    if (category !== undefined && it.category !== category) continue;
    // includes(), never a RegExp built from user text: "a.b" finds "a.b" only, "(" is just a character.
    if (needle && !it.haystack.includes(needle)) continue;
    out.push(it.listing);
  }
  return sortListings(out, q);
}
