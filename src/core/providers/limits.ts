/** Time source for the limiters; tests may pass their own. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error('the run was cancelled');
  e.name = 'AbortError';
  return e;
}

/** Monotonic milliseconds (wall-clock jumps must not release or stall a limiter). */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      if (ms <= 0) return resolve();
      const onAbort = () => { clearTimeout(t); reject(abortError(signal)); };
      const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * Requests-per-second limit. Each `take` reserves the next free slot, so waiters are served in
 * order and requests are spaced by at least `1000 / rps` ms (no bursts: a provider's limit is
 * usually enforced over short windows).
 */
export class TokenBucket {
  private nextAt = 0;
  readonly intervalMs: number;

  constructor(readonly rps: number, private readonly clock: Clock = realClock) {
    if (!(rps > 0)) throw new Error(`rate limit must be positive, got ${rps}`);
    this.intervalMs = 1000 / rps;
  }

  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.intervalMs;
    if (signal?.aborted) throw abortError(signal);
    // Timers run off the event loop's cached time and can fire early after a busy stretch:
    // sleep again until the slot has really come.
    for (let i = 0; i < 100; i++) {
      const wait = at - this.clock.now();
      if (wait <= 0) return;
      await this.clock.sleep(wait, signal);
    }
  }
}

interface Waiter {
  grant: (release: () => void) => void;
  reject: (e: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * The per-model limit: a semaphore whose size can change (AIMD: halved on repeated 429s, grown
 * back by one after a run of successes) and which can be paused until a time (a long
 * Retry-After stops the whole model's queue, not one request).
 */
export class ModelGate {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private limitNow: number;
  private pausedUntilMs = 0;
  private recent429: number[] = [];
  private lastDecreaseAt = -Infinity;
  private successes = 0;
  /** How many times AIMD lowered the limit (reported in the run summary). */
  decreases = 0;

  constructor(
    readonly slug: string,
    readonly maxLimit: number,
    private readonly clock: Clock = realClock,
    /** 429s inside this window count as "repeated". */
    private readonly windowMs = 10_000,
  ) {
    this.limitNow = Math.max(1, maxLimit);
  }

  get limit(): number { return this.limitNow; }
  get inFlight(): number { return this.active; }
  get waiting(): number { return this.queue.length; }
  get pausedUntil(): number { return this.pausedUntilMs; }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise((grant, reject) => {
      const w: Waiter = {
        grant, reject, signal,
        onAbort: () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) { this.queue.splice(i, 1); reject(abortError(signal)); }
        },
      };
      signal?.addEventListener('abort', w.onAbort, { once: true });
      this.queue.push(w);
      this.pump();
    });
  }

  /** Waits (without taking a slot) until the model is not paused. */
  async waitUnpaused(signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const wait = this.pausedUntilMs - this.clock.now();
      if (wait <= 0) return;
      await this.clock.sleep(wait, signal);
    }
  }

  /** Stops handing out slots until `untilMs` (the later of any two pauses wins). */
  pauseUntil(untilMs: number): void {
    if (untilMs > this.pausedUntilMs) this.pausedUntilMs = untilMs;
    this.pump();
  }

  /** Records a 429; a second one inside the window halves the limit (at most once per second). */
  onRateLimited(retryAfterMs?: number): void {
    const now = this.clock.now();
    this.recent429 = this.recent429.filter((t) => now - t < this.windowMs);
    this.recent429.push(now);
    this.successes = 0;
    if (retryAfterMs !== undefined && retryAfterMs > 0) this.pauseUntil(now + retryAfterMs);
    const spacing = Math.max(1000, retryAfterMs ?? 0);
    if (this.recent429.length >= 2 && now - this.lastDecreaseAt >= spacing && this.limitNow > 1) {
      this.limitNow = Math.max(1, Math.floor(this.limitNow / 2));
      this.lastDecreaseAt = now;
      this.decreases++;
    }
  }

  /** Additive increase: one more slot after `limit` successes in a row, up to the configured limit. */
  onSuccess(): void {
    if (this.limitNow >= this.maxLimit) return;
    if (++this.successes >= this.limitNow) {
      this.successes = 0;
      this.limitNow++;
      this.pump();
    }
  }

  private release = (): void => {
    this.active--;
    this.pump();
  };

  private pump(): void {
    const now = this.clock.now();
    if (now < this.pausedUntilMs) {
      if (this.queue.length && !this.timer) {
        this.timer = setTimeout(() => { this.timer = undefined; this.pump(); }, this.pausedUntilMs - now);
      }
      return;
    }
    while (this.active < this.limitNow && this.queue.length) {
      const w = this.queue.shift()!;
      w.signal?.removeEventListener('abort', w.onAbort);
      this.active++;
      let released = false;
      w.grant(() => { if (!released) { released = true; this.release(); } });
    }
  }

  /** Clears timers so a finished run does not keep the process alive. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Milliseconds a response asks us to wait: `retry-after-ms`, else `retry-after` (seconds or a date). */
export function retryAfterMs(headers: { get(name: string): string | null }, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms) {
    const v = parseFloat(ms);
    if (Number.isFinite(v) && v >= 0) return v;
  }
  const ra = headers.get('retry-after');
  if (ra) {
    const secs = Number(ra.trim());
    if (ra.trim() !== '' && Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  return undefined;
}
