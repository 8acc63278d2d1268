import { parseArgs } from 'node:util';
import { MOCK_DEFAULT_PORT, MOCK_MODELS, startMockServer, type MockServer } from '../../core/mock/server';
import { UsageError, UserError, serveUntilStopped, type Command } from '../usage';

const SERVE_MOCK_HELP = `Usage: awb serve-mock [--port ${MOCK_DEFAULT_PORT}] [--latency-ms 0] [--verbose]

Serves a local OpenAI-compatible endpoint on 127.0.0.1 (POST /v1/chat/completions, GET /v1/models)
with canned, deterministic answers, so you can try a benchmark with no API key and no network.
Nothing it says comes from a real model.

Models:
${Object.entries(MOCK_MODELS).map(([m, d]) => `  ${m.padEnd(14)}${d}`).join('\n')}

examples/models.yaml lists these models at http://127.0.0.1:${MOCK_DEFAULT_PORT}/v1 (no key needed on this
machine); examples/local.bench.yaml runs them:

  awb serve-mock                              # in one terminal (Ctrl+C stops it)
  awb run examples/local.bench.yaml           # in another

--port        port on 127.0.0.1 (default ${MOCK_DEFAULT_PORT}; 0 picks a free one — then point base_url at it)
--latency-ms  wait this long before each answer, to watch progress move (default 0)
--verbose     print one line per request`;

export const serveMockCommand: Command = async (argv, io) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', short: 'p', default: String(MOCK_DEFAULT_PORT) },
      'latency-ms': { type: 'string', default: '0' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { io.out(SERVE_MOCK_HELP); return 0; }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, not "${values.port}"`);
  const latencyMs = Number(values['latency-ms']);
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 60_000) throw new UsageError(`--latency-ms must be 0..60000, not "${values['latency-ms']}"`);
  let server: MockServer;
  try {
    server = await startMockServer({ port, latencyMs, ...(values.verbose ? { onRequest: (l: string) => io.err(l) } : {}) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError(`port ${port} on 127.0.0.1 is already in use (another awb serve-mock?); pick another with --port`);
    throw err;
  }
  // stdout: the URL alone, for scripts; stderr: what to do with it.
  io.out(`OPENAI_BASE_URL=${server.url}`);
  io.err(`Mock OpenAI-compatible server at ${server.url} (canned answers, no key needed). Models: ${Object.keys(MOCK_MODELS).join(', ')}. Ctrl+C to stop.`);
  await serveUntilStopped(server);
  io.err(`Stopped after ${server.requests} requests.`);
  return 0;
};
