// The dataset registry: cards, listings, reviews and evaluation history in one SQLite file, or a
// remote registry over HTTP. The HTTP server is in ./server (imported on its own: it pulls Fastify).
export * from './model';
export { LocalRegistry } from './localRegistry';
export { RemoteRegistry, RemoteRegistryError } from './remote';
export { openRegistry, resolveRegistryLocation, defaultRegistryPath, isRegistryUrl } from './open';
export { searchListings, indexListing } from './search';
export { loadCardFile, validateCardText, sha256File } from './cards';
export {
  evaluateOutputs, recordRunEvaluations,  aggregateScores, resolveScorer,   scoreValue,
    type RunRowLike, 
} from './evaluate';
export { RegistryFile } from './fileStore';
export { renameWithRetryAsync as renameWithRetry } from '../storage/atomic';
export { fetchDataset, safeFileName } from './fetchData';
export { readOutputsFile } from './outputs';
