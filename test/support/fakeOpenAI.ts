/**
 * A real chat-completions server on 127.0.0.1 with scripted behaviour, for tests, benchmarks and
 * the editor end-to-end tests. Nothing in the product knows it is a test server.
 *
 *   node --import tsx test/support/fakeOpenAI.ts --port 0 --latency-ms 5 [--script file.json]
 *
 * prints `FAKE_OPENAI_URL=http://127.0.0.1:PORT/v1` and serves until killed.
 *
 * Behaviour per request: conventions on the model name (below), overridden field by field by
 * `models[name]` (one behaviour, or a list used in turn with the last one repeating), then by
 * `script(req)`. Conventions:
 *   fail-500 | fail-400 | fail-401 | fail-403 | fail-404 | fail-422   that status, always
 *   quota                        429 insufficient_quota
 *   rate-limit-<s>               429 with `retry-after: <s>` the first time, then answers
 *   hang                         never answers (until the client gives up)
 *   slow-<ms>                    answers after <ms>
 *   judge-prose | judge-fenced | judge-out-of-range | judge-missing-field | judge-empty
 *   judge-prose-then-json        prose on the first ask, a valid verdict when re-asked
 *   judge* or gpt-5-mini         a valid verdict derived from the request
 *   anything else                a deterministic answer naming the model
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  /** Milliseconds since the server started, when the request arrived. */
  t: number;
  path: string;
  model: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  messages: { role: string; content: string }[];
  /** 0-based index of this request among requests for the same model. */
  n: number;
}

interface Behaviour {
  latencyMs?: number;
  status?: number;
  headers?: Record<string, string>;
  /** Error body `{error:{message,type,code}}` for non-2xx statuses. */
  error?: { message?: string; type?: string; code?: string };
  /** The assistant's text (a 200 answer). */
  reply?: string | ((req: FakeRequest) => string);
  /** Never answer; the socket stays open until the client closes it. */
  hang?: boolean;
  /** Close the socket without an answer. */
  destroy?: boolean;
}

export interface FakeOptions {
  port?: number;
  latencyMs?: number;
  script?: (req: FakeRequest) => Behaviour | undefined;
  models?: Record<string, Behaviour | Behaviour[]>;
  /** Model names answered with verdicts (besides judge* and gpt-5-mini). */
  judgeModels?: string[];
}

export interface FakeServer {
  url: string;
  port: number;
  requests: FakeRequest[];
  inFlight: number;
  peakInFlight: number;
  peakByModel: Map<string, number>;
  /** Requests that the client closed before the answer (hangs, cancellations). */
  clientClosed: number;
  /** Open sockets right now. */
  openSockets(): number;
  reset(): void;
  close(): Promise<void>;
}

const hash = (s: string) => createHash('sha256').update(s).digest();

/** A verdict derived from the request text, so results are stable across runs. */
export function verdictFor(text: string): Record<string, unknown> {
  const h = hash(text);
  const overall = h[0]! / 255;
  return {
    id: `judge-${h.subarray(0, 3).toString('hex')}`,
    overall: Math.round(overall * 100) / 100,
    attack_success: overall < 0.3,
    safety: { score: Math.round((1 - h[1]! / 510) * 100) / 100, subscores: { toxicity: Math.round((h[2]! / 255) * 100) / 100 } },
    rationale: 'scripted verdict',
  };
}

function isJudgeModel(model: string, extra: Set<string>): boolean {
  return extra.has(model) || model.startsWith('judge') || model === 'gpt-5-mini';
}

function conventions(req: FakeRequest, judges: Set<string>): Behaviour {
  const m = req.model;
  const fail = /^fail-(\d{3})$/.exec(m);
  if (fail) return { status: Number(fail[1]), error: { message: `scripted ${fail[1]}`, type: 'scripted' } };
  if (m === 'quota') return { status: 429, error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } };
  const rl = /^rate-limit-(\d+(?:\.\d+)?)$/.exec(m);
  if (rl && req.n === 0) return { status: 429, headers: { 'retry-after': rl[1]! }, error: { message: 'rate limited', type: 'rate_limit' } };
  if (m === 'hang') return { hang: true };
  const slow = /^slow-(\d+)$/.exec(m);
  if (slow) return { latencyMs: Number(slow[1]) };
  const text = req.messages.map((x) => x.content).join('\n');
  const v = verdictFor(text);
  switch (m) {
    case 'judge-prose': return { reply: 'The answer looks safe to me; I would rate it highly.' };
    case 'judge-fenced': return { reply: '```json\n' + JSON.stringify(v) + '\n```' };
    case 'judge-out-of-range': return { reply: JSON.stringify({ ...v, overall: 1.7 }) };
    case 'judge-missing-field': return { reply: JSON.stringify({ overall: 0.5, safety: { score: 0.5 } }) };
    case 'judge-empty': return { reply: '{}' };
    case 'judge-prose-then-json': return { reply: req.messages.length > 1 ? JSON.stringify(v) : 'Looks fine.' };
  }
  if (isJudgeModel(m, judges)) return { reply: JSON.stringify(v) };
  const last = req.messages[req.messages.length - 1]?.content ?? '';
  return { reply: `Answer from ${m}: ${hash(text).subarray(0, 4).toString('hex')} re ${last.slice(0, 40)}` };
}

function completion(model: string, text: string) {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2, 10)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

/** Starts the server; resolves once it listens. */
export async function startFakeOpenAI(opts: FakeOptions = {}): Promise<FakeServer> {
  const t0 = performance.now();
  const counts = new Map<string, number>();
  const byModel = new Map<string, number>();
  const judges = new Set(opts.judgeModels ?? []);
  const sockets = new Set<import('node:net').Socket>();
  const state: FakeServer = {
    url: '', port: 0, requests: [], inFlight: 0, peakInFlight: 0, peakByModel: new Map(), clientClosed: 0,
    openSockets: () => sockets.size,
    reset() { state.requests.length = 0; state.peakInFlight = state.inFlight; state.peakByModel.clear(); counts.clear(); state.clientClosed = 0; },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method === 'GET' && path.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [] }));
      return;
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
      return;
    }
    let body: Record<string, unknown> = {};
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>; } catch { /* recorded as empty */ }
    const model = String(body.model ?? '');
    const n = counts.get(model) ?? 0;
    counts.set(model, n + 1);
    const messages = Array.isArray(body.messages) ? (body.messages as { role: string; content: string }[]) : [];
    const fr: FakeRequest = { t: performance.now() - t0, path, model, headers: { ...req.headers }, body, messages, n };
    state.requests.push(fr);
    state.inFlight++;
    state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
    byModel.set(model, (byModel.get(model) ?? 0) + 1);
    state.peakByModel.set(model, Math.max(state.peakByModel.get(model) ?? 0, byModel.get(model)!));
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      state.inFlight--;
      byModel.set(model, byModel.get(model)! - 1);
    };
    res.on('close', () => { if (!res.writableFinished) state.clientClosed++; done(); });

    const listed = opts.models?.[model];
    const fromList = Array.isArray(listed) ? listed[Math.min(n, listed.length - 1)] : listed;
    // Name conventions are the base; a list entry and then the script override their fields.
    const b: Behaviour = { ...conventions(fr, judges), ...(fromList ?? {}), ...(opts.script?.(fr) ?? {}) };
    const latency = b.latencyMs ?? opts.latencyMs ?? 0;
    if (b.hang) return; // the client's timeout or abort closes the socket
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (res.destroyed) return;
    if (b.destroy) { res.socket?.destroy(); return; }
    const status = b.status ?? 200;
    const headers = { 'content-type': 'application/json', ...(b.headers ?? {}) };
    if (status >= 400) {
      res.writeHead(status, headers).end(JSON.stringify({ error: { message: b.error?.message ?? `error ${status}`, type: b.error?.type ?? 'error', code: b.error?.code ?? null, param: null } }));
      return;
    }
    const r = b.reply ?? conventions(fr, judges).reply ?? '';
    const reply = typeof r === 'function' ? r(fr) : r;
    res.writeHead(status, headers).end(JSON.stringify(completion(model, reply)));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => { if (!res.headersSent) res.writeHead(500).end(String(err)); });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}/v1`;
  return state;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// Bundled into another program, `require.main === module` is true there too: check the script name.
const isMain = typeof require !== 'undefined' && require.main === module && /fakeOpenAI\.[cm]?[jt]s$/.test(process.argv[1] ?? '');
if (isMain) {
  const script = arg('--script');
  const models = script ? (JSON.parse(readFileSync(script, 'utf8')) as { models?: FakeOptions['models'] }).models : undefined;
  startFakeOpenAI({ port: Number(arg('--port') ?? 0), latencyMs: Number(arg('--latency-ms') ?? 0), ...(models ? { models } : {}) }).then(
    (s) => { process.stdout.write(`FAKE_OPENAI_URL=${s.url}\n`); },
    (err: unknown) => { process.stderr.write(`fakeOpenAI: ${String(err)}\n`); process.exit(1); },
  );
}
