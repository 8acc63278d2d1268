import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { z } from 'zod';
import { DatasetCardSchema } from '../schemas/card';
import { validateCardText } from './cards';
import { evaluateOutputs } from './evaluate';
import {
  EvaluationInputSchema, EvaluationResultSchema, ListingSchema, NotFoundError, RegistryInputError, ReviewInputSchema, ReviewSchema, SearchQuerySchema,
  wireCard, wireListing, type Listing, type Registry,
} from './model';
import {
  errorHandler, hostHeaderIsLoopback, isLoopback, jsonSchemaOf, openApiDocument, tokenMatches, zodIssuesToFieldErrors, zodValidatorCompiler, type RouteDoc,
} from './serverSupport';

/** How `awb registry serve` listens and guards writes. */
export interface RegistryServerOptions {
  host?: string;
  port?: number;
  /** Bearer token required for writes; mandatory when `host` is not a loopback address. */
  token?: string;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Origins allowed to call the API from a browser; none by default (no CORS headers). */
  corsOrigins?: string[];
  log?: (msg: string) => void;
  version?: string;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;
/**
 * One limit for a request: its headers and body must arrive, and the answer leave, within 30 s;
 * an idle keep-alive connection is closed after 30 s too. Node checks for late headers every
 * `CONNECTION_CHECK_MS`, so a slow client is cut off at most that much later.
 */
const REQUEST_TIMEOUT_MS = 30_000;
const CONNECTION_CHECK_MS = 1_000;

/** True when a browser's `Origin` is this server itself (scheme-less compare of host and port). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return Boolean(host) && new URL(origin).host === host!.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * What the server shows of a listing: aumai-alignment's shape with every field of its model (`null` where
 * unset), and never the paths of files on the registry's machine.
 */
function publicListing(l: Listing): Listing {
  const { card_path: _c, data_path: _d, ...rest } = l;
  return wireListing(rest);
}

const IdParams = z.object({ id: z.string().min(1).max(500) });
const EvaluationsQuery = z.object({ order: z.enum(['oldest', 'newest']).default('oldest').describe('oldest first (as aumai-alignment) or newest first') });
const OutputsBody = z.object({ dataset_id: z.string(), model_name: z.string().min(1).max(500).default('unknown'), outputs: z.array(z.unknown()).max(1_000_000) });
const ResultBody = EvaluationResultSchema.omit({ id: true }).extend({ evaluated_at: z.string().optional() });
const Detail = { type: 'object', properties: { detail: {} } };

/** Builds the Fastify app for a registry (not listening yet; `inject` works for tests). */
export async function buildRegistryServer(registry: Registry, opts: RegistryServerOptions = {}): Promise<FastifyInstance> {
  const host = opts.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  const token = opts.token || undefined;
  if (!loopback && !token) {
    throw new Error(`serving on ${host} (not this machine only) needs a token for writes: pass --token or set AWB_REGISTRY_TOKEN`);
  }
  const log = opts.log ?? (() => undefined);
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: REQUEST_TIMEOUT_MS,
    http: { headersTimeout: REQUEST_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: CONNECTION_CHECK_MS },
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 500 },
  });
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (r) => { routes.push(r); });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler((_req, reply) => { void reply.code(404).send({ detail: 'Not Found' }); });

  // JSON only: every other content type is refused with 415. The raw text is kept so card
  // errors can name their line and column.
  app.removeAllContentTypeParsers();
  app.decorateRequest('rawBody', '');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    (req as unknown as { rawBody: string }).rawBody = text;
    if (text.trim() === '') { done(null, undefined); return; }
    try {
      // Drop "__proto__" keys so no later object spread can be tricked into changing a prototype.
      done(null, JSON.parse(text, (k, v: unknown) => (k === '__proto__' ? undefined : v)));
    } catch (err) {
      done(Object.assign(new Error((err as Error).message), { code: 'AWB_JSON_INVALID', statusCode: 422 }), undefined);
    }
  });

  const cors = new Set(opts.corsOrigins ?? []);
  app.addHook('onRequest', async (req, reply) => {
    if (loopback && !hostHeaderIsLoopback(req.headers.host)) {
      return reply.code(400).send({ detail: 'Host header must name this machine (127.0.0.1 or localhost)' });
    }
    const origin = req.headers.origin;
    if (origin && cors.has(origin)) {
      void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        return reply.code(204).header('access-control-allow-methods', 'GET, POST').header('access-control-allow-headers', 'content-type, authorization').send();
      }
    }
    const doc = (req.routeOptions.config as { doc?: RouteDoc } | undefined)?.doc;
    // A web page's POST carries its Origin: writes from other origins are refused, whatever the
    // body (a bodiless POST, e.g. counting a download, needs no JSON a browser would preflight).
    if (req.method === 'POST' && origin && !cors.has(origin) && !sameOrigin(origin, req.headers.host)) {
      return reply.code(403).send({ detail: `Cross-origin write refused: Origin ${origin} is not allowed (serve with --cors ORIGIN to allow it)` });
    }
    if (doc?.write && token && !tokenMatches(req.headers.authorization, token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Not authenticated' });
    }
    return undefined;
  });

  const listingJs = jsonSchemaOf(ListingSchema, 'output');
  const cardJs = jsonSchemaOf(DatasetCardSchema, 'output');
  const evalJs = jsonSchemaOf(EvaluationResultSchema, 'output');
  const idParams = jsonSchemaOf(IdParams);
  const notFound = { description: 'Unknown dataset: {"detail": "Dataset \'x\' not found"}', schema: Detail };
  const invalid = { description: 'Invalid input: {"detail": [{"type", "loc", "msg"}]}', schema: Detail };

  app.get('/healthz', { config: { doc: { summary: 'Liveness: the registry file can be read', responses: { 200: { description: '{"status": "ok"}' } } } } }, async () => {
    await registry.get('');
    return { status: 'ok' };
  });

  app.get('/openapi.json', async () => openApiDocument(routes, { version: opts.version ?? '0.1.0', tokenRequired: Boolean(token) }));

  app.get('/api/datasets', {
    schema: { querystring: jsonSchemaOf(SearchQuerySchema) },
    config: { doc: { summary: 'Search listings (as aumai-alignment): literal text, category, minimum quality; sorted by quality', responses: { 200: { description: 'Listings', schema: { type: 'array', items: listingJs } }, 422: invalid } } },
  }, async (req) => (await registry.search(req.query as z.output<typeof SearchQuerySchema>)).map(publicListing));

  app.post('/api/datasets', {
    // The card is checked below with `awb validate`'s messages and positions, not by the compiler.
    config: { doc: { summary: 'Register a dataset card (re-registering keeps downloads and reviews)', body: jsonSchemaOf(DatasetCardSchema), write: true, responses: { 201: { description: 'The card', schema: cardJs }, 401: { description: 'Token required' }, 422: invalid } } },
  }, async (req, reply) => {
    const { diagnostics, paths, input } = validateCardText((req as unknown as { rawBody: string }).rawBody, req.body);
    if (!input) {
      return reply.code(422).send({
        detail: diagnostics.filter((d) => d.severity === 'error').map((d, i) => ({ type: d.rule, loc: ['body', ...(paths[i] ?? [])], msg: d.message, line: d.line, column: d.column })),
      });
    }
    const [listing] = await registry.register([input]);
    return reply.code(201).header('location', `/api/datasets/${encodeURIComponent(input.card.dataset_id)}`).send(wireCard(listing!.dataset));
  });

  app.get('/api/datasets/:id', {
    schema: { params: idParams },
    config: { doc: { summary: 'A dataset card (as aumai-alignment)', responses: { 200: { description: 'The card', schema: cardJs }, 404: notFound } } },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const listing = await registry.get(id);
    if (!listing) throw new NotFoundError(id);
    return wireCard(listing.dataset);
  });

  app.get('/api/datasets/:id/listing', {
    schema: { params: idParams },
    config: { doc: { summary: 'A dataset with its downloads, rating and reviews count', responses: { 200: { description: 'Listing', schema: listingJs }, 404: notFound } } },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const listing = await registry.get(id);
    if (!listing) throw new NotFoundError(id);
    return publicListing(listing);
  });

  app.post('/api/datasets/:id/download', {
    schema: { params: idParams },
    config: { doc: { summary: 'Count a download', write: true, responses: { 200: { description: 'Listing', schema: listingJs }, 404: notFound } } },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const listing = await registry.incrementDownloads(id);
    if (!listing) throw new NotFoundError(id);
    return publicListing(listing);
  });

  app.get('/api/datasets/:id/reviews', {
    schema: { params: idParams },
    config: { doc: { summary: 'Reviews of a dataset, newest first', responses: { 200: { description: 'Reviews', schema: { type: 'array', items: jsonSchemaOf(ReviewSchema, 'output') } }, 404: notFound } } },
  }, async (req) => registry.reviews((req.params as { id: string }).id));

  app.post('/api/datasets/:id/reviews', {
    schema: { params: idParams, body: jsonSchemaOf(ReviewInputSchema) },
    config: { doc: { summary: 'Rate a dataset (1-5 stars, optional text)', body: jsonSchemaOf(ReviewInputSchema), write: true, responses: { 201: { description: 'Listing', schema: listingJs }, 404: notFound, 422: invalid } } },
  }, async (req, reply) => {
    const listing = await registry.addReview((req.params as { id: string }).id, req.body as z.output<typeof ReviewInputSchema>);
    return reply.code(201).send(publicListing(listing));
  });

  app.get('/api/evaluations/:id', {
    schema: { params: idParams, querystring: jsonSchemaOf(EvaluationsQuery) },
    config: { doc: { summary: 'Evaluation history of a dataset (as aumai-alignment: oldest first)', responses: { 200: { description: 'Results', schema: { type: 'array', items: evalJs } }, 404: notFound } } },
  }, async (req) => {
    const results = await registry.results((req.params as { id: string }).id);
    return (req.query as { order: string }).order === 'newest' ? results : results.reverse();
  });

  app.post('/api/evaluations', {
    config: { doc: { summary: 'Record a result, or score outputs with the default scorer (each output\'s `score`)', body: jsonSchemaOf(EvaluationInputSchema), write: true, responses: { 201: { description: 'The recorded result', schema: evalJs }, 404: notFound, 422: invalid } } },
  }, async (req, reply) => {
    const body = req.body;
    const withOutputs = body !== null && typeof body === 'object' && 'outputs' in body;
    const parsed = (withOutputs ? OutputsBody : ResultBody).safeParse(body ?? {});
    if (!parsed.success) throw new RegistryInputError('invalid evaluation', zodIssuesToFieldErrors(parsed.error.issues, 'body'));
    const v = parsed.data;
    const saved = 'outputs' in v
      ? await evaluateOutputs(registry, { datasetId: v.dataset_id, outputs: v.outputs, modelName: v.model_name })
      : (await registry.addEvaluations([{ ...v, evaluated_at: v.evaluated_at ?? new Date().toISOString() }]))[0]!;
    return reply.code(201).send(saved);
  });

  return app;
}

/** Starts the server; resolves once it listens. `url` is where to reach it. */
export async function startRegistryServer(registry: Registry, opts: RegistryServerOptions = {}): Promise<{ app: FastifyInstance; url: string; close: () => Promise<void> }> {
  const app = await buildRegistryServer(registry, opts);
  await registry.warmUp?.();
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 8000 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port ?? 8000;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shown}:${port}`, close: () => app.close() };
}
