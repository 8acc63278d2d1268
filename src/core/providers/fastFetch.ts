import { STATUS_CODES } from 'node:http';
import { Agent, request, type Dispatcher } from 'undici';

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
    this.statusText = STATUS_CODES[status] ?? '';
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

/**
 * A `fetch` for the openai SDK on undici's `request` API: the same HTTP client as Node's fetch,
 * without the WHATWG stream and Request/Response plumbing per call, which is most of a call's CPU
 * at hundreds of calls a second. The SDK reads only status, headers and the whole body, so the
 * body is read into memory and handed over as a BufferedResponse. Aborts (timeouts, cancel)
 * reject with an AbortError, as fetch does.
 */
export function createFastFetch(dispatcher: Dispatcher = new Agent({ keepAliveTimeout: 10_000 })): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    // The SDK hands over a Headers; anything else goes through Headers for its normalisation.
    (init?.headers instanceof Headers ? init.headers : new Headers(init?.headers)).forEach((v, k) => { headers[k] = v; });
    const signal = init?.signal ?? undefined;
    const method = (init?.method ?? 'GET').toUpperCase();
    try {
      const res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: (init?.body ?? null) as string | Buffer | null,
        ...(signal ? { signal } : {}),
        dispatcher,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      const out = new Headers();
      for (const k in res.headers) {
        const v = res.headers[k];
        if (v === undefined) continue;
        if (Array.isArray(v)) for (const one of v) out.append(k, one);
        else out.append(k, v);
      }
      const empty = res.statusCode === 204 || res.statusCode === 304 || method === 'HEAD';
      return new BufferedResponse(empty ? null : body, res.statusCode, out, url) as unknown as Response;
    } catch (err) {
      if (signal?.aborted) throw Object.assign(new Error('This operation was aborted'), { name: 'AbortError', cause: err });
      throw err;
    }
  }) as typeof fetch;
}
