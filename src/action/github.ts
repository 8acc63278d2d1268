/**
 * The three GitHub REST routes the action uses (list, create and update issue comments), over
 * Node's fetch. `@octokit/rest` would do the same; it is not a dependency of this package, and
 * three routes with Link-header pagination do not justify one.
 */

export interface IssueComment {
  id: number;
  body?: string | null;
  html_url?: string;
  user?: { login?: string; type?: string } | null;
}

export class GitHubApiError extends Error {
  override name = 'GitHubApiError';
  constructor(readonly status: number, readonly route: string, message: string) {
    super(message);
  }
}

export interface GitHubClientOptions {
  /** `GITHUB_API_URL` (https://api.github.com, or a GitHub Enterprise Server's /api/v3). */
  apiUrl: string;
  token: string;
  fetch?: typeof fetch;
  /** Pages of 100 comments read at most when looking for the marker (default 50). */
  maxPages?: number;
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

/** The `rel="next"` URL of a Link header, if any. */
function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}

function explain(status: number, route: string, apiMessage: string): string {
  const said = apiMessage ? ` GitHub said: "${apiMessage.slice(0, 300)}".` : '';
  if (status === 401) return `GitHub API ${route}: 401 Unauthorized — the github-token is missing, expired or wrong.${said}`;
  if (status === 403) {
    return `GitHub API ${route}: 403 Forbidden — the token may not write comments on this pull request. Give the workflow ` +
      '`permissions: pull-requests: write` (and `issues: write`), or pass a token that can; a pull request from a fork ' +
      `gets a read-only token, so use comment: off there.${said}`;
  }
  if (status === 404) return `GitHub API ${route}: 404 Not Found — no such repository or pull request, or the token cannot see it.${said}`;
  if (status === 422) return `GitHub API ${route}: 422 Unprocessable — GitHub refused the comment (too long, or invalid).${said}`;
  return `GitHub API ${route}: HTTP ${status}.${said}`;
}

export class GitHubClient {
  private readonly base: URL;
  private readonly f: typeof fetch;

  constructor(private readonly opts: GitHubClientOptions) {
    this.base = new URL(opts.apiUrl.endsWith('/') ? opts.apiUrl : `${opts.apiUrl}/`);
    this.f = opts.fetch ?? fetch;
  }

  private async request<T>(method: string, url: URL, route: string, body?: unknown): Promise<{ data: T; link: string | null }> {
    // The token only ever goes to the API's own origin (a Link header could point elsewhere).
    if (url.origin !== this.base.origin) throw new GitHubApiError(0, route, `GitHub API ${route}: refusing to send the token to ${url.origin} (the API is ${this.base.origin})`);
    const res = await this.f(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${this.opts.token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'alignment-workbench-action',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    if (!res.ok) {
      let msg = '';
      try { msg = String((JSON.parse(text) as { message?: unknown }).message ?? ''); } catch { msg = text.slice(0, 200); }
      throw new GitHubApiError(res.status, route, explain(res.status, route, msg));
    }
    let data: T;
    try {
      data = JSON.parse(text) as T;
    } catch {
      throw new GitHubApiError(res.status, route, `GitHub API ${route}: the answer is not JSON`);
    }
    return { data, link: res.headers.get('link') };
  }

  private url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base);
  }

  /** Every comment of an issue or pull request, following the Link header's `next` pages. */
  async listIssueComments(repo: string, issue: number): Promise<IssueComment[]> {
    const route = `GET /repos/${repo}/issues/${issue}/comments`;
    const out: IssueComment[] = [];
    let url: URL | undefined = this.url(`repos/${repo}/issues/${issue}/comments?per_page=100`);
    for (let page = 0; url && page < (this.opts.maxPages ?? 50); page++) {
      const { data, link } = await this.request<IssueComment[]>('GET', url, route);
      if (!Array.isArray(data)) throw new GitHubApiError(200, route, `GitHub API ${route}: expected a list of comments`);
      out.push(...data);
      const next = nextLink(link);
      url = next ? new URL(next, this.base) : undefined;
    }
    return out;
  }

  async createIssueComment(repo: string, issue: number, body: string): Promise<IssueComment> {
    return (await this.request<IssueComment>('POST', this.url(`repos/${repo}/issues/${issue}/comments`), `POST /repos/${repo}/issues/${issue}/comments`, { body })).data;
  }

  async updateIssueComment(repo: string, commentId: number, body: string): Promise<IssueComment> {
    return (await this.request<IssueComment>('PATCH', this.url(`repos/${repo}/issues/comments/${commentId}`), `PATCH /repos/${repo}/issues/comments/${commentId}`, { body })).data;
  }
}

/** The hidden marker that finds the action's comment again (one per `comment-key`). */
export function commentMarker(key = 'default'): string {
  return `<!-- alignment-workbench:compare:${key.replace(/[^A-Za-z0-9._-]/g, '_')} -->`;
}

/**
 * Posts the body on the pull request: `sticky` updates the comment carrying the marker (the
 * oldest, if several) or creates it; `new` always creates one.
 */
export async function upsertComment(client: GitHubClient, repo: string, issue: number, body: string, mode: 'sticky' | 'new', key?: string): Promise<{ action: 'created' | 'updated'; comment: IssueComment }> {
  const marker = commentMarker(key);
  const full = `${marker}\n${body}`;
  if (mode === 'sticky') {
    const existing = (await client.listIssueComments(repo, issue)).find((c) => typeof c.body === 'string' && c.body.includes(marker));
    if (existing) return { action: 'updated', comment: await client.updateIssueComment(repo, existing.id, full) };
  }
  return { action: 'created', comment: await client.createIssueComment(repo, issue, full) };
}
