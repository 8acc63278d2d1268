import { approvedOrigins, checkEndpoint, EndpointPolicyError, isLoopbackUrl, policyMessage, type EndpointPolicy, type EndpointProblem } from './endpoints';
import { resolveKey, type ResolvedModel } from './models';

/** What authorizing a run's models gives: the keys to send, and models with no key at all. */
export interface AuthorizedKeys {
  keys: Map<string, string | undefined>;
  /** `slug (set VAR)` for each non-loopback model without a key. */
  missing: string[];
  /** The same models as `slug (VAR)`, as the dry run notes them. */
  missingShort: string[];
}

export interface AuthorizeOptions extends EndpointPolicy {
  keyResolver?: ((m: ResolvedModel) => Promise<string | undefined>) | undefined;
  /** How a file path is shown in the refusal (e.g. relative to the working folder). */
  showPath?: (file: string) => string;
}

/**
 * The one gate every path that sends a key goes through (run, dry run, score; CLI, editor and run
 * worker): checks each model's endpoint (plain http, key variable name, approval) and resolves its
 * key. Throws `EndpointPolicyError` listing every refusal before anything is sent; a variable that
 * is not a model key variable is never read.
 */
export async function authorizeKeys(calls: { model: ResolvedModel; role: 'model' | 'judge' }[], o: AuthorizeOptions): Promise<AuthorizedKeys> {
  const approved = approvedOrigins(o);
  const keys = new Map<string, string | undefined>();
  const missing: string[] = [];
  const missingShort: string[] = [];
  const problems: EndpointProblem[] = [];
  for (const { model: m, role } of calls) {
    if (keys.has(m.slug)) continue;
    // Checks that do not depend on the key (URL, plain http, variable name) come first: no read.
    const early = checkEndpoint(m, role, 'none', o, approved);
    if (early) { problems.push(early); keys.set(m.slug, undefined); continue; }
    const { key, from } = await resolveKey(m, o.env, o.keyResolver);
    const problem = key ? checkEndpoint(m, role, from, o, approved) : undefined;
    if (problem) { problems.push(problem); keys.set(m.slug, undefined); continue; }
    keys.set(m.slug, key);
    if (!key && !isLoopbackUrl(m.baseURL)) {
      missing.push(`${m.slug} (set ${m.key.env ?? 'its key'}${m.key.secret ? ` or store the secret "${m.key.secret}"` : ''})`);
      missingShort.push(`${m.slug} (${m.key.env ?? 'no key source'})`);
    }
  }
  if (problems.length) throw new EndpointPolicyError(policyMessage(problems, o.showPath), problems);
  return { keys, missing, missingShort };
}
