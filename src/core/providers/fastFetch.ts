import http from 'node:http';
import https from 'node:https';

/**
 * A fetch `Response` over a body already read into memory. The openai SDK reads a response's
 * status, headers and whole body (`json()` or `text()`); a WHATWG Response would wrap those bytes
 * in a ReadableStream only for the SDK to read them back out, which at hundreds of calls a
 * second is a measurable share of the runner's CPU. Anything rarer (`body`, `blob()`,
 * `formData()`) is served by a real Response over the same bytes.
 */
class BufferedResponse {
  readonly ok: boolean;
  readonly statusText: string;
  readonly redirected = false;
  readonly type = 'basic';
  private used = false;
  private stream: ReadableStream<Uint8Array> | null | undefined;

  constructor(
    private readonly data: Buffer | null,
    readonly status: number,
    readonly headers: Headers,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = http.STATUS_CODES[status] ?? '';
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.stream === undefined) this.stream = this.data === null ? null : this.real().body;
    return this.stream;
  }

  private take(): Buffer {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    return this.data ?? Buffer.alloc(0);
  }

  private real(): Response {
    return new Response(this.data as Uint8Array<ArrayBuffer> | null, { status: this.status, headers: this.headers });
  }

  async text(): Promise<string> {
    const s = this.take().toString('utf8');
    // fetch decodes as UTF-8 without a byte-order mark.
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async blob(): Promise<Blob> {
    this.take();
    return this.real().blob();
  }

  async formData(): Promise<FormData> {
    this.take();
    return this.real().formData();
  }

  clone(): BufferedResponse {
    if (this.used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedResponse(this.data, this.status, new Headers(this.headers), this.url);
  }
}

/** Rejection of an aborted request, shaped as fetch's. */
function abortError(cause?: unknown): Error {
  return Object.assign(new Error('This operation was aborted'), { name: 'AbortError', cause });
}

export interface FastFetchAgents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * Idle keep-alive sockets close after 30 s, or a second before the server's `Keep-Alive:
 * timeout=N` hint when it is shorter (Node's agent applies the hint only under a timeout), so a
 * request rarely lands on a socket the server is closing. A request in flight is not limited by
 * it: the SDK's own timeout is.
 */
const IDLE_SOCKET_MS = 30_000;

/**
 * A `fetch` for the openai SDK on Node's own HTTP client with keep-alive agents, without the
 * WHATWG Request/Response/stream plumbing per call, which is most of a call's CPU at hundreds of
 * calls a second. Not undici: since its idle-socket validation, undici writes every request on
 * a reused keep-alive socket one event-loop turn later, which under load adds milliseconds to
 * every call. Idle sockets are closed before the server's Keep-Alive hint runs out, and a reset
 * socket is a connection error the SDK retries.
 * The SDK reads only status, headers and the whole body, so the body is read into memory and
 * handed over as a BufferedResponse. Bodies are strings or bytes (the SDK's JSON requests);
 * redirects are not followed. Aborts (timeouts, cancel) reject with an AbortError, as fetch does.
 */
export function createFastFetch(agents: FastFetchAgents = { http: new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }), https: new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }) }): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    let url: URL;
    try {
      url = new URL(href);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new TypeError(String(err)));
    }
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return Promise.reject(new TypeError(`fetch: unsupported protocol "${url.protocol}"`));
    const body = init?.body ?? null;
    if (body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return Promise.reject(new TypeError('fast fetch sends string or byte bodies only'));
    }
    const headers: Record<string, string> = {};
    // The SDK hands over a Headers; anything else goes through Headers for its normalisation.
    (init?.headers instanceof Headers ? init.headers : new Headers(init?.headers)).forEach((v, k) => { headers[k] = v; });
    if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
    const method = (init?.method ?? 'GET').toUpperCase();
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));

    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, res?: Response): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(signal?.aborted ? abortError(err) : err);
        else resolve(res!);
      };
      const onAbort = (): void => { req.destroy(abortError(signal?.reason)); };
      const req = (secure ? https : http).request(url, { method, headers, agent: secure ? agents.https : agents.http }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => finish(err));
        res.on('close', () => { if (!res.complete) finish(new Error('the connection closed before the response ended')); });
        res.on('end', () => {
          const out = new Headers();
          const raw = res.rawHeaders;
          for (let i = 0; i + 1 < raw.length; i += 2) out.append(raw[i]!, raw[i + 1]!);
          const status = res.statusCode ?? 0;
          const empty = status === 204 || status === 304 || method === 'HEAD';
          finish(undefined, new BufferedResponse(empty ? null : Buffer.concat(chunks), status, out, href) as unknown as Response);
        });
      });
      req.on('error', (err) => finish(err));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body ?? undefined);
    });
  }) as typeof fetch;
}
