// Where a key may be sent: the one rule the CLI, the editor and the run worker all apply.
//
// - A key from the environment goes only to its own provider's origin (a preset whose key variable
//   it is), or to the base URL the user set in the environment for it (OPENAI_BASE_URL).
// - A key the editor stored (SecretStorage) is bound to the origin it was stored for; the editor's
//   key resolver enforces that, the core trusts what the resolver returns.
// - Any other endpoint a file names (a `base_url`, an `api_key_env`) gets a key only when the user
//   approved its origin outside the workspace: `--allow-endpoint`, AWB_ALLOW_ENDPOINTS, or the
//   user-level list kept by `awb endpoints approve` (shared with the editor).
// - `api_key_env` may name only a variable ending in `_API_KEY`, or one the user listed.
// - Plain http goes only to this machine (loopback); keyless calls to loopback need no approval.
// Everything is decided from the URL's text, before any DNS lookup or connection.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROVIDER_PRESETS } from '../schemas/models';
import { ExpectedError } from '../errors';
import { writeFileAtomicSync } from '../storage/atomic';
import type { ResolvedModel } from './models';
import { isLoopbackUrl } from './loopback';

export { isLoopbackHost, isLoopbackUrl } from './loopback';

/** `scheme://host:port` of a URL (what a key is bound to), or undefined when it does not parse. */
export function endpointOrigin(url: string): string | undefined {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** A URL reduced to what identifies where requests go: scheme, host, port and path. */
export function canonicalEndpoint(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
}

/** The variable the user sets to move a preset's endpoint (the openai SDK's own variable). */
const PRESET_URL_ENV: Partial<Record<keyof typeof PROVIDER_PRESETS, string>> = { openai: 'OPENAI_BASE_URL' };

/**
 * The origins a key read from environment variable `keyEnv` belongs to: the presets whose key
 * variable it is, and the URL the user set in the environment for those presets.
 */
function keyEnvOrigins(keyEnv: string | undefined, env: NodeJS.ProcessEnv): Set<string> {
  const out = new Set<string>();
  if (!keyEnv) return out;
  for (const [name, p] of Object.entries(PROVIDER_PRESETS) as [keyof typeof PROVIDER_PRESETS, (typeof PROVIDER_PRESETS)[keyof typeof PROVIDER_PRESETS]][]) {
    if (p.keyEnv !== keyEnv) continue;
    const o = endpointOrigin(p.baseURL);
    if (o) out.add(o);
    const urlEnv = PRESET_URL_ENV[name];
    const fromEnv = urlEnv ? env[urlEnv]?.trim() : undefined;
    const eo = fromEnv ? endpointOrigin(fromEnv) : undefined;
    if (eo) out.add(eo);
  }
  return out;
}

/** Variables that hold a model key by convention. */
const KEY_ENV_PATTERN = /^[A-Z][A-Z0-9_]*_API_KEY$/;

const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** Whether `api_key_env` may name this variable: `*_API_KEY`, or listed in AWB_ALLOW_KEY_ENVS / `--allow-key-env`. */
function keyEnvAllowed(name: string, env: NodeJS.ProcessEnv, extra: readonly string[] = []): boolean {
  return KEY_ENV_PATTERN.test(name) || list(env.AWB_ALLOW_KEY_ENVS).includes(name) || extra.includes(name);
}

// --- the user-level approval list (outside any workspace) ---

/** `AWB_ENDPOINTS_FILE`, else `~/.alignment-workbench/endpoints.json`. */
export function approvalsFile(env: NodeJS.ProcessEnv): string {
  return env.AWB_ENDPOINTS_FILE?.trim() || join(env.HOME?.trim() || homedir(), '.alignment-workbench', 'endpoints.json');
}

export interface ApprovedEndpoint {
  origin: string;
  approved_at: string;
}

/** The approved origins of the user-level list; a missing or unreadable file approves nothing. */
export function readApprovedEndpoints(env: NodeJS.ProcessEnv): ApprovedEndpoint[] {
  const file = approvalsFile(env);
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { endpoints?: unknown };
    if (!Array.isArray(parsed.endpoints)) return [];
    return parsed.endpoints.filter((e): e is ApprovedEndpoint => typeof e === 'object' && e !== null && typeof (e as ApprovedEndpoint).origin === 'string' && endpointOrigin((e as ApprovedEndpoint).origin) === (e as ApprovedEndpoint).origin);
  } catch {
    return [];
  }
}

function writeApproved(env: NodeJS.ProcessEnv, endpoints: ApprovedEndpoint[]): void {
  const file = approvalsFile(env);
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomicSync(file, JSON.stringify({ format: 1, endpoints }, null, 2) + '\n');
}

/** An origin to approve or revoke: http(s) only, plain http only on loopback. */
function approvableOrigin(url: string): string {
  const origin = endpointOrigin(url);
  if (!origin) throw new EndpointPolicyError(`"${url}" is not an http(s) URL`);
  if (origin.startsWith('http:') && !isLoopbackUrl(origin)) throw new EndpointPolicyError(`${origin} is plain http to another machine: only https endpoints (or http on this machine) can be used`);
  return origin;
}

/** Adds the URL's origin to the user-level list; false when it was there already. */
export function approveEndpoint(env: NodeJS.ProcessEnv, url: string): { origin: string; added: boolean } {
  const origin = approvableOrigin(url);
  const list = readApprovedEndpoints(env);
  if (list.some((e) => e.origin === origin)) return { origin, added: false };
  writeApproved(env, [...list, { origin, approved_at: new Date().toISOString() }]);
  return { origin, added: true };
}

/** Removes the URL's origin from the user-level list; false when it was not there. */
export function revokeEndpoint(env: NodeJS.ProcessEnv, url: string): { origin: string; removed: boolean } {
  const origin = endpointOrigin(url);
  if (!origin) throw new EndpointPolicyError(`"${url}" is not an http(s) URL`);
  const list = readApprovedEndpoints(env);
  if (!list.some((e) => e.origin === origin)) return { origin, removed: false };
  writeApproved(env, list.filter((e) => e.origin !== origin));
  return { origin, removed: true };
}

/** What the user approved outside the workspace, for one run. */
export interface EndpointPolicy {
  env: NodeJS.ProcessEnv;
  /** `--allow-endpoint` URLs (CLI) or the editor's approvals for this workspace. */
  allowEndpoints?: readonly string[];
  /** `--allow-key-env` names. */
  allowKeyEnvs?: readonly string[];
}

/** Approved origins: the user-level list, AWB_ALLOW_ENDPOINTS and the policy's own list. */
export function approvedOrigins(p: EndpointPolicy): Set<string> {
  const out = new Set(readApprovedEndpoints(p.env).map((e) => e.origin));
  for (const u of [...list(p.env.AWB_ALLOW_ENDPOINTS), ...(p.allowEndpoints ?? [])]) {
    const o = endpointOrigin(u);
    if (o) out.add(o);
  }
  return out;
}

/** Where a key comes from, for the decision: the environment, the editor's store, or none. */
export type KeyOrigin = 'env' | 'stored' | 'none';

/** A refusal: who, which file and line, which endpoint, why, and whether approving helps. */
export interface EndpointProblem {
  slug: string;
  role: 'model' | 'judge';
  file?: string;
  line?: number;
  url: string;
  origin?: string;
  kind: 'invalid-url' | 'plain-http' | 'key-env-name' | 'not-approved';
  keyEnv?: string;
  message: string;
}

/** A refusal before any request; the message names the file, line, URL and what approves it. */
export class EndpointPolicyError extends ExpectedError {
  override name = 'EndpointPolicyError';
  constructor(message: string, readonly problems: EndpointProblem[] = []) {
    super(message);
  }
}

/**
 * Whether a model's endpoint is named by a file rather than by the user: it is not an origin its
 * environment key variable belongs to. The editor asks before calling such an endpoint at all.
 */
export function endpointIsFileNamed(m: ResolvedModel, env: NodeJS.ProcessEnv): boolean {
  const origin = endpointOrigin(m.baseURL);
  return !origin || !keyEnvOrigins(m.key.env, env).has(origin);
}

/**
 * The decision for one model about to be called, with its key coming from `keyFrom`: undefined
 * when it may go ahead, else the refusal. Pure: reads no network, resolves no name.
 */
export function checkEndpoint(m: ResolvedModel, role: 'model' | 'judge', keyFrom: KeyOrigin, p: EndpointPolicy, approved = approvedOrigins(p)): EndpointProblem | undefined {
  const base = { slug: m.slug, role, url: m.baseURL, ...(m.from ? { file: m.from.file } : {}) } as const;
  const at = (line: number | undefined) => (line !== undefined ? { line } : m.from ? { line: m.from.line } : {});
  const who = `${role} "${m.slug}"`;
  const origin = endpointOrigin(m.baseURL);
  if (!origin) return { ...base, ...at(m.from?.baseUrlLine), kind: 'invalid-url', message: `${who}: "${m.baseURL}" is not an http(s) URL` };
  if (origin.startsWith('http:') && !isLoopbackUrl(origin)) {
    return { ...base, ...at(m.from?.baseUrlLine), origin, kind: 'plain-http', message: `${who}: refusing plain http to ${origin} (another machine): prompts and keys would travel unencrypted; use https (plain http is allowed only on this machine)` };
  }
  const keyEnv = m.key.env;
  if (keyEnv && !keyEnvAllowed(keyEnv, p.env, p.allowKeyEnvs)) {
    return { ...base, ...at(m.from?.keyEnvLine), origin, kind: 'key-env-name', keyEnv, message: `${who}: api_key_env names ${keyEnv}, which does not hold a model key by convention (*_API_KEY); nothing is read from it. If it really is a model key, list it: --allow-key-env ${keyEnv} (or AWB_ALLOW_KEY_ENVS=${keyEnv})` };
  }
  if (keyFrom !== 'env' || !keyEnv) return undefined; // keyless, or a stored key bound to its origin
  if (keyEnvOrigins(keyEnv, p.env).has(origin) || approved.has(origin)) return undefined;
  return {
    ...base, ...at(m.from?.baseUrlLine ?? m.from?.keyEnvLine), origin, kind: 'not-approved', keyEnv,
    message: `${who} would send ${keyEnv} to ${origin}, an endpoint you have not approved (it is named by a file, not by your environment)`,
  };
}

/** The refusal message for a list of problems, with the commands that resolve each. */
export function policyMessage(problems: EndpointProblem[], show: (file: string) => string = (f) => f): string {
  const lines = ['refusing to send anything (no request was made):'];
  for (const pr of problems) {
    lines.push(`  ${pr.file ? `${show(pr.file)}:${pr.line ?? 1}: ` : ''}${pr.message}`);
    if (pr.kind === 'not-approved' && pr.origin) {
      lines.push(`    if you trust ${pr.origin}, approve it: awb endpoints approve ${pr.origin}`);
      lines.push(`    (or for one run: --allow-endpoint ${pr.origin}; in CI: AWB_ALLOW_ENDPOINTS=${pr.origin})`);
    }
  }
  return lines.join('\n');
}
