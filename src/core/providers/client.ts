import { createFastFetch } from './fastFetch';
import OpenAI from 'openai';
import { redact, type Logger } from '../log';
import { isLoopback, type ResolvedModel } from './models';
import { abortError, retryAfterMs, type ModelGate, type TokenBucket } from './limits';

/** One chat message as sent to a provider. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatResult {
  text: string;
  /** HTTP attempts made, including the SDK's retries. */
  attempts: number;
  latencyMs: number;
  finishReason?: string;
}

/**
 * How a failed call should be treated:
 * - `fatal`: stop the whole run, keep what is done (no quota, bad or missing key);
 * - `failed`: this row failed (4xx, or retries exhausted); the error goes on the row and a
 *   resume tries it again;
 * - `paused`: a long Retry-After paused the model; the call is queued again after the pause;
 * - `aborted`: the run was cancelled.
 */
export type ProviderErrorKind = 'fatal' | 'failed' | 'paused' | 'aborted';

export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly attempts = 0,
  ) {
    super(message);
  }
}

interface CallContext {
  attempts: number;
  longPauseMs?: number;
  quota?: boolean;
}

// The per-call context rides in the request init (the SDK spreads a request's `fetchOptions`
// into what it hands to fetch): cheaper than AsyncLocalStorage, whose promise hooks tax every
// promise in the process.
type InitWithCall = RequestInit & { awbCall?: CallContext };

export interface ClientOptions {
  model: ResolvedModel;
  apiKey: string | undefined;
  gate: ModelGate;
  /** Buckets every retry also waits for (the first attempt waits before entering the SDK). */
  buckets: TokenBucket[];
  maxRetries: number;
  timeoutMs: number;
  /** A Retry-After above this pauses the model's queue instead of sleeping inside one call. */
  longRetryAfterMs: number;
  log: Logger;
  secrets: () => Iterable<string>;
  fetch?: typeof fetch;
}

function rewritten(res: Response, body: string, extra: Record<string, string>): Response {
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

function isQuotaError(body: string): boolean {
  try {
    const j = JSON.parse(body) as { error?: { code?: unknown; type?: unknown } };
    return j?.error?.code === 'insufficient_quota' || j?.error?.type === 'insufficient_quota';
  } catch {
    return /insufficient_quota/.test(body);
  }
}

let fastFetch: typeof fetch | undefined;
/** One connection pool for every model client in the process. */
function sharedFastFetch(): typeof fetch {
  return (fastFetch ??= createFastFetch());
}

/**
 * A chat-completions client for one model, through the openai SDK. The SDK is the only retry
 * layer (maxRetries and timeout set explicitly); a fetch hook adds what the SDK lacks: rate
 * limits on retries, counting attempts, a per-model pause on long Retry-After, AIMD feedback
 * and no retries of `insufficient_quota`.
 */
export class ModelClient {
  private readonly sdk: OpenAI;

  constructor(private readonly o: ClientOptions) {
    const baseFetch = o.fetch ?? sharedFastFetch();
    const hookedFetch = async (url: string | URL | Request, initWithCall?: InitWithCall): Promise<Response> => {
      const { awbCall: ctx, ...init } = initWithCall ?? {};
      const signal = init.signal ?? undefined;
      if (ctx && ctx.attempts > 0) {
        await o.gate.waitUnpaused(signal);
        for (const b of o.buckets) await b.take(signal);
      }
      if (ctx) ctx.attempts++;
      const res = await baseFetch(url, init);
      if (res.status === 429) {
        const body = await res.text();
        const wait = retryAfterMs(res.headers);
        if (isQuotaError(body)) {
          if (ctx) ctx.quota = true;
          return rewritten(res, body, { 'x-should-retry': 'false' });
        }
        o.gate.onRateLimited(wait);
        if (wait !== undefined && wait > o.longRetryAfterMs) {
          if (ctx) ctx.longPauseMs = wait;
          o.log.warn(`${o.model.slug}: 429 with Retry-After ${(wait / 1000).toFixed(0)} s: pausing this model's queue`);
          return rewritten(res, body, { 'x-should-retry': 'false' });
        }
        return rewritten(res, body, {});
      }
      return res;
    };
    const apiKey = o.apiKey ?? (isLoopback(o.model.baseURL) ? 'none' : undefined);
    const sdkLog = (m: unknown) => {
      const text = String(m);
      // One line per successful request is noise (and redacting it costs per call); keep retries and failures.
      if (text.includes(' succeeded with status ')) return;
      o.log.debug(redact(`openai: ${text}`, o.secrets()));
    };
    this.sdk = new OpenAI({
      apiKey: apiKey ?? 'missing',
      baseURL: o.model.baseURL,
      // Only the default provider may pick up OpenAI's org/project from the environment.
      ...(o.model.provider === 'default' || o.model.provider === 'openai' ? {} : { organization: null, project: null }),
      maxRetries: o.maxRetries,
      timeout: o.timeoutMs,
      // Never 'debug': at that level the SDK logs request and response bodies.
      logLevel: 'info',
      logger: { debug: sdkLog, info: sdkLog, warn: sdkLog, error: sdkLog },
      fetch: hookedFetch as typeof fetch,
    });
  }

  /**
   * One chat completion. Waits for nothing itself: the caller holds the model's and the global
   * slot and has taken the first rate-limit token. Cancellation reaches the request in flight.
   */
  async chat(messages: ChatMessage[], signal: AbortSignal | undefined, extra: { params?: boolean } = {}): Promise<ChatResult> {
    const ctx: CallContext = { attempts: 0 };
    const started = performance.now();
    const m = this.o.model;
    const params = extra.params === false ? {} : m.params;
    // The SDK adds an abort listener per attempt and never removes it; give it a signal that
    // lives for this call only, or listeners pile up on the run's signal (O(n²) over a run).
    const local = new AbortController();
    const forward = () => local.abort(signal?.reason);
    if (signal?.aborted) local.abort(signal.reason);
    else signal?.addEventListener('abort', forward, { once: true });
    try {
      const res = await raceAbort(
        this.sdk.chat.completions.create(
          { model: m.model, messages, ...params },
          { signal: local.signal, maxRetries: this.o.maxRetries, timeout: this.o.timeoutMs, fetchOptions: { awbCall: ctx } as never },
        ),
        local.signal,
      );
      this.o.gate.onSuccess();
      const choice = res.choices?.[0];
      const msg = choice?.message as { content?: string | null; refusal?: string | null } | undefined;
      return {
        text: msg?.content ?? msg?.refusal ?? '',
        attempts: ctx.attempts,
        latencyMs: Math.round(performance.now() - started),
        ...(choice?.finish_reason ? { finishReason: choice.finish_reason } : {}),
      };
    } catch (err) {
      throw classify(err, ctx, local.signal, this.o.secrets());
    } finally {
      signal?.removeEventListener('abort', forward);
    }
  }
}

/** Rejects as soon as the signal aborts, even while the SDK sleeps between retries. */
function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) { p.catch(() => {}); return Promise.reject(abortError(signal)); }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => { p.catch(() => {}); reject(abortError(signal)); };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/** Maps an SDK error to what the runner does about it; messages are redacted. */
function classify(err: unknown, ctx: CallContext, signal: AbortSignal | undefined, secrets: Iterable<string>): ProviderError {
  const attempts = ctx.attempts;
  if (signal?.aborted || err instanceof OpenAI.APIUserAbortError || (err instanceof Error && err.name === 'AbortError')) {
    return new ProviderError('aborted', 'cancelled', undefined, undefined, attempts);
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const code = typeof err.code === 'string' ? err.code : undefined;
    const msg = redact(err.message, secrets);
    if (status === 429 && (ctx.quota || code === 'insufficient_quota')) {
      return new ProviderError('fatal', `429 insufficient_quota: the account is out of credit (${msg})`, status, 'insufficient_quota', attempts);
    }
    if (status === 429 && ctx.longPauseMs !== undefined) return new ProviderError('paused', msg, status, code, attempts);
    if (status === 401 || status === 403) return new ProviderError('fatal', `${status}: the key was refused (${msg})`, status, code, attempts);
    if (err instanceof OpenAI.APIConnectionTimeoutError) return new ProviderError('failed', `timed out after ${attempts} attempt(s)`, undefined, 'timeout', attempts);
    if (err instanceof OpenAI.APIConnectionError) {
      const cause = (err as { cause?: unknown }).cause;
      return new ProviderError('failed', redact(`connection failed after ${attempts} attempt(s): ${msg}${cause instanceof Error ? ` (${cause.message})` : ''}`, secrets), undefined, 'connection', attempts);
    }
    const retried = status !== undefined && (status === 408 || status === 409 || status === 429 || status >= 500);
    return new ProviderError('failed', retried ? `${msg} (after ${attempts} attempts)` : msg, status, code, attempts);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError('failed', redact(message, secrets), undefined, undefined, attempts);
}
