import { isRegistryUrl } from '../../core/registry';
import { UsageError, UserError, serveUntilStopped } from '../usage';
import { parseSub, type RegistrySubcommand } from './registryArgs';

const SERVE_HELP = `Usage: awb registry serve [--port 8000] [--host 127.0.0.1] [--token T] [--cors ORIGIN]... [--registry PATH]

Serves the registry over HTTP, compatible with aumai-alignment's HTTP API (GET/POST
/api/datasets, GET /api/datasets/{id}, GET /api/evaluations/{id}) plus POST /api/evaluations,
POST /api/datasets/{id}/download, POST /api/datasets/{id}/reviews, /openapi.json and /healthz. JSON only, 1 MiB body limit.
Bound to 127.0.0.1 by default; any other host needs a token (--token or AWB_REGISTRY_TOKEN),
which then guards every write (Authorization: Bearer T). No CORS headers unless --cors is given.
Stops on Ctrl+C.`;

export const registryServe: RegistrySubcommand = async (argv, ctx) => {
  const { values, positionals } = parseSub(argv, {
    port: { type: 'string', short: 'p', default: '8000' },
    host: { type: 'string', default: '127.0.0.1' },
    cors: { type: 'string', multiple: true },
    'body-limit': { type: 'string' },
  }, false);
  void positionals;
  if (values.help) { ctx.io.out(SERVE_HELP); return 0; }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, not "${values.port}"`);
  const bodyLimit = values['body-limit'] === undefined ? undefined : Number(values['body-limit']);
  if (bodyLimit !== undefined && (!Number.isInteger(bodyLimit) || bodyLimit < 1)) throw new UsageError('--body-limit must be a positive number of bytes');
  if (isRegistryUrl(ctx.location)) throw new UsageError('serve serves a local registry file, and --registry is a URL');
  // Loaded here, not at the top: Fastify would otherwise slow down every other awb command's start.
  const { startRegistryServer } = await import('../../core/registry/server');
  let server: Awaited<ReturnType<typeof startRegistryServer>>;
  try {
    server = await startRegistryServer(ctx.open(), {
      host: values.host, port, token: ctx.token, corsOrigins: values.cors ?? [], ...(bodyLimit ? { bodyLimit } : {}),
      log: (m) => ctx.io.err(m), version: ctx.io.env.AWB_VERSION ?? '0.1.0',
    });
  } catch (err) {
    if (/needs a token/.test((err as Error).message)) throw new UsageError((err as Error).message);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError(`port ${port} on ${values.host} is already in use; pick another with --port`);
    throw err;
  }
  ctx.io.err(`Serving ${ctx.location} at ${server.url} (API docs: ${server.url}/openapi.json). Ctrl+C to stop.`);
  if (ctx.format === 'json') ctx.io.out(JSON.stringify({ url: server.url, registry: ctx.location }));
  await serveUntilStopped(server);
  return 0;
};
