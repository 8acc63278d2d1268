import { SORT_KEYS, NotFoundError, wireListing, type EvaluationResult, type Listing, type SortKey } from '../../core/registry';
import { UsageError } from '../usage';
import { oneId, parseSub, quality, safe, type RegistrySubcommand } from './registryArgs';
import { registryGet } from './registryGet';

/** aumai-alignment's search line: `[id] Name  quality=0.88  downloads=42  tags=a,b` (quality with two decimals). */
function listingLine(l: Listing): string {
  const d = l.dataset;
  return safe(`[${d.dataset_id}] ${d.name}  quality=${quality(d.quality_score)}  downloads=${l.downloads}  tags=${(d.tags ?? []).join(',')}`);
}

function parseQuality(s: string | undefined): number {
  if (s === undefined) return 0;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--min-quality must be a number from 0.0 to 1.0, not "${s}"`);
  return n;
}

const search: RegistrySubcommand = async (argv, ctx) => {
  const { values, positionals } = parseSub(argv, {
    query: { type: 'string', short: 'q', default: '' },
    category: { type: 'string' },
    'min-quality': { type: 'string' },
    sort: { type: 'string', default: 'quality' },
    limit: { type: 'string' },
  });
  if (values.help) { ctx.io.out('Usage: awb registry search [--query Q] [--category C] [--min-quality F] [--sort quality|downloads|rating|name] [--limit N] [--format text|json]\n\nThe query is literal text (not a pattern), matched case-insensitively in name, description and tags.'); return 0; }
  // A bare word is taken as the query too: `awb registry search safety`.
  const query = [values.query, ...positionals].filter(Boolean).join(' ');
  if (!(SORT_KEYS as readonly string[]).includes(values.sort)) throw new UsageError(`--sort must be one of ${SORT_KEYS.join(', ')}, not "${values.sort}"`);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, not "${values.limit}"`);
  }
  const results = await ctx.open().search({
    query, category: values.category, min_quality: parseQuality(values['min-quality']), sort: values.sort as SortKey, ...(limit ? { limit } : {}),
  });
  if (ctx.format === 'json') { ctx.io.out(JSON.stringify(results.map(wireListing), null, 2)); return 0; }
  if (results.length === 0) {
    ctx.io.out('No datasets found matching your criteria.');
    // An empty registry, not a search that matched nothing: say how to fill it.
    if ((await ctx.open().search({ limit: 1 })).length === 0) {
      ctx.io.err(`The registry ${ctx.location} has no datasets yet. Register a dataset card with: awb registry register --config FILE.dataset.yaml`);
    }
    return 0;
  }
  for (const l of results) ctx.io.out(listingLine(l));
  return 0;
};

/** One line of evaluation history for the terminal. */
export function resultLine(r: EvaluationResult): string {
  const m = r.metrics;
  const parts = [
    r.evaluated_at, `model=${r.model_name}`, ...(r.persona ? [`persona=${r.persona}`] : []), `score=${r.score}`,
    `samples=${m.sample_count}`, `min=${m.min_score}`, `max=${m.max_score}`,
    ...(m.attack_success_rate !== undefined ? [`attack_success_rate=${m.attack_success_rate}`] : []),
    ...(m.mean_safety !== undefined ? [`mean_safety=${m.mean_safety}`] : []),
    ...(m.errors !== undefined ? [`errors=${m.errors}`] : []),
    ...(r.run_id ? [`run=${r.run_id}`] : []),
    ...(r.data_sha256 ? [`data=${r.data_sha256.slice(0, 12)}`] : []),
  ];
  return safe(parts.join('  '));
}

const show: RegistrySubcommand = async (argv, ctx) => {
  const { values, positionals } = parseSub(argv, {});
  if (values.help) { ctx.io.out('Usage: awb registry show ID [--format text|json]'); return 0; }
  const id = oneId(positionals, 'show');
  const registry = ctx.open();
  const listing = await registry.get(id);
  if (!listing) throw new NotFoundError(id);
  const [reviews, results] = await Promise.all([registry.reviews(id), registry.results(id)]);
  if (ctx.format === 'json') { ctx.io.out(JSON.stringify({ ...wireListing(listing), review_list: reviews, evaluations: results }, null, 2)); return 0; }
  const d = listing.dataset;
  const lines = [
    `[${d.dataset_id}] ${d.name}${d.version ? `  (version ${d.version})` : ''}`,
    `  ${d.description}`,
    `  category=${d.category}  format=${d.format}  size=${d.size}  license=${d.license}`,
    `  quality=${quality(d.quality_score)}  downloads=${listing.downloads}  rating=${listing.rating.toFixed(2)}  reviews=${listing.reviews}`,
    `  tags=${(d.tags ?? []).join(',')}`,
    ...(d.taxonomy?.length ? [`  taxonomy=${d.taxonomy.join(',')}`] : []),
    ...(d.download_url ? [`  download_url=${d.download_url}`] : []),
    ...(listing.data_path ? [`  data=${listing.data_path}`] : []),
    ...(listing.sha256 ? [`  sha256=${listing.sha256}`] : []),
    ...(listing.card_path ? [`  card=${listing.card_path}`] : []),
    `  registered=${listing.registered_at}  updated=${listing.updated_at}`,
  ];
  for (const r of reviews.slice(0, 5)) lines.push(`  review: ${'*'.repeat(r.stars)}${r.author ? ` by ${r.author}` : ''}${r.text ? `: ${r.text}` : ''}`);
  if (results.length > 0) lines.push(`  evaluations (${results.length}, newest first):`, ...results.slice(0, 5).map((r) => `    ${resultLine(r)}`));
  for (const line of lines) ctx.io.out(safe(line));
  return 0;
};

const results: RegistrySubcommand = async (argv, ctx) => {
  const { values, positionals } = parseSub(argv, {});
  if (values.help) { ctx.io.out('Usage: awb registry results ID [--format text|json]\n\nThe evaluation history of a dataset, newest first.'); return 0; }
  const id = oneId(positionals, 'results');
  const history = await ctx.open().results(id);
  if (ctx.format === 'json') { ctx.io.out(JSON.stringify(history, null, 2)); return 0; }
  if (history.length === 0) { ctx.io.out(`No evaluations of ${safe(id)} yet.`); return 0; }
  for (const r of history) ctx.io.out(resultLine(r));
  return 0;
};

export const REGISTRY_READ_COMMANDS: Record<string, RegistrySubcommand> = { search, show, results, get: registryGet };
