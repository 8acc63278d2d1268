import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from '../log';
import { ModelClient, ProviderError, type ChatMessage, type ChatResult } from './client';
import { ModelGate, TokenBucket, realClock, type Clock } from './limits';
import type { ResolvedModel } from './models';

export interface PoolOptions {
  /** Calls in flight at once across all models. */
  concurrency: number;
  /** Requests per second across all models. */
  rateLimitRps?: number;
  /** Default timeout of one HTTP attempt (a model's `timeoutS` wins). */
  timeoutS: number;
  /** SDK retries on connection errors, 408, 409, 429 and 5xx. */
  maxRetries: number;
  /** Retry-After above this pauses the model (default 60 s, the SDK's own ceiling). */
  longRetryAfterMs?: number;
  log: Logger;
  secrets: () => Iterable<string>;
  clock?: Clock;
  fetch?: typeof fetch;
}

/**
 * Every model's client behind its limits: a global p-limit, a per-model gate (concurrency with
 * AIMD and pause), and requests-per-second buckets, global and per model.
 */
export class ProviderPool {
  private readonly global: LimitFunction;
  private readonly globalBucket: TokenBucket | undefined;
  private readonly entries = new Map<string, { model: ResolvedModel; gate: ModelGate; buckets: TokenBucket[]; client: ModelClient }>();
  readonly longRetryAfterMs: number;

  constructor(models: ResolvedModel[], keys: Map<string, string | undefined>, private readonly o: PoolOptions) {
    const clock = o.clock ?? realClock;
    this.global = pLimit(Math.max(1, o.concurrency));
    this.globalBucket = o.rateLimitRps ? new TokenBucket(o.rateLimitRps, clock) : undefined;
    this.longRetryAfterMs = o.longRetryAfterMs ?? 60_000;
    for (const model of models) {
      if (this.entries.has(model.slug)) continue;
      const gate = new ModelGate(model.slug, model.concurrency, clock);
      const buckets = [...(this.globalBucket ? [this.globalBucket] : []), ...(model.rateLimitRps ? [new TokenBucket(model.rateLimitRps, clock)] : [])];
      const client = new ModelClient({
        model,
        apiKey: keys.get(model.slug),
        gate,
        buckets,
        maxRetries: o.maxRetries,
        timeoutMs: Math.round((model.timeoutS ?? o.timeoutS) * 1000),
        longRetryAfterMs: this.longRetryAfterMs,
        log: o.log,
        secrets: o.secrets,
        ...(o.fetch ? { fetch: o.fetch } : {}),
      });
      this.entries.set(model.slug, { model, gate, buckets, client });
    }
  }

  gate(slug: string): ModelGate | undefined {
    return this.entries.get(slug)?.gate;
  }

  /**
   * Calls a model once its slots and tokens are free. A long Retry-After pauses the model and the
   * call is queued again behind the pause (at most `maxRetries` times); anything else is thrown
   * as a `ProviderError`.
   */
  async chat(slug: string, messages: ChatMessage[], signal?: AbortSignal, opts: { params?: boolean } = {}): Promise<ChatResult> {
    const e = this.entries.get(slug);
    if (!e) throw new ProviderError('failed', `unknown model "${slug}"`);
    let attempts = 0;
    for (let round = 0; ; round++) {
      let release: () => void;
      try {
        release = await e.gate.acquire(signal);
      } catch (err) {
        // Cancelled while queued for the model's slot: an aborted call like any other, so a judge
        // waiting for its turn is not recorded as a failed verdict.
        if (err instanceof ProviderError) throw err;
        throw new ProviderError(signal?.aborted ? 'aborted' : 'failed', err instanceof Error ? err.message : String(err), undefined, undefined, attempts);
      }
      try {
        const result = await this.global(async () => {
          if (signal?.aborted) throw new ProviderError('aborted', 'cancelled');
          for (const b of e.buckets) await b.take(signal);
          return e.client.chat(messages, signal, opts);
        });
        return { ...result, attempts: attempts + result.attempts };
      } catch (err) {
        const pe = err instanceof ProviderError ? err : new ProviderError(signal?.aborted ? 'aborted' : 'failed', err instanceof Error ? err.message : String(err));
        attempts += pe.attempts;
        if (pe.kind === 'paused' && round < this.o.maxRetries) continue;
        if (pe.kind === 'paused') throw new ProviderError('failed', `rate limited: ${pe.message}`, pe.status, pe.code, attempts);
        throw new ProviderError(pe.kind, pe.message, pe.status, pe.code, attempts);
      } finally {
        release();
      }
    }
  }

  dispose(): void {
    for (const e of this.entries.values()) e.gate.dispose();
    this.global.clearQueue();
  }
}
