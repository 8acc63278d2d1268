import { PROVIDER_PRESETS, type GenerationParams, type ModelEntry, type ProviderName } from '../schemas/models';
import { isLoopbackUrl } from './loopback';

/** Where a model's key comes from. Never the key itself: this object is written to run.json. */
interface KeySource {
  /** Environment variable read when no key resolver gives a key. */
  env?: string;
  /** Name of a stored secret (SecretStorage), looked up by the extension's key resolver. */
  secret?: string;
}

/** A model ready to call: endpoint, limits and generation parameters, but no key. */
export interface ResolvedModel {
  slug: string;
  /** The provider's model name sent in requests. */
  model: string;
  /** `default` = OpenAI or `OPENAI_BASE_URL`; `custom` = a `base_url` from the roster. */
  provider: ProviderName | 'default' | 'custom';
  baseURL: string;
  key: KeySource;
  concurrency: number;
  rateLimitRps?: number;
  timeoutS?: number;
  params: GenerationParams;
  /** The file (and lines) that defined this model, for messages; absent for a default-provider name. */
  from?: ModelSource;
}

/** Where a roster entry is: the file, the entry's line, and the lines of its `base_url` and `api_key_env`. */
export interface ModelSource {
  file: string;
  line: number;
  baseUrlLine?: number;
  keyEnvLine?: number;
}

const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * A slug with no roster entry: a model name on the default provider, which reads
 * `OPENAI_API_KEY` and `OPENAI_BASE_URL` as the openai SDK does.
 */
export function defaultProviderModel(slug: string, concurrency: number, env: NodeJS.ProcessEnv): ResolvedModel {
  const baseURL = env.OPENAI_BASE_URL?.trim() || DEFAULT_OPENAI_BASE_URL;
  return { slug, model: slug, provider: 'default', baseURL, key: { env: 'OPENAI_API_KEY' }, concurrency, params: {} };
}

/** Turns one roster entry into a resolved model. */
export function modelFromEntry(e: ModelEntry, env: NodeJS.ProcessEnv, from?: ModelSource): ResolvedModel {
  let provider: ResolvedModel['provider'];
  let baseURL: string;
  let keyEnv: string | undefined;
  if (e.base_url) {
    provider = e.provider ?? 'custom';
    baseURL = e.base_url;
    keyEnv = e.provider ? PROVIDER_PRESETS[e.provider].keyEnv : undefined;
  } else if (e.provider) {
    provider = e.provider;
    baseURL = PROVIDER_PRESETS[e.provider].baseURL;
    keyEnv = PROVIDER_PRESETS[e.provider].keyEnv;
    if (e.provider === 'openai') baseURL = env.OPENAI_BASE_URL?.trim() || baseURL;
  } else {
    provider = 'default';
    baseURL = env.OPENAI_BASE_URL?.trim() || DEFAULT_OPENAI_BASE_URL;
    keyEnv = 'OPENAI_API_KEY';
  }
  const key: KeySource = {};
  if (e.api_key_env ?? keyEnv) key.env = e.api_key_env ?? keyEnv;
  if (e.api_key_secret) key.secret = e.api_key_secret;
  const params: GenerationParams = {};
  if (e.temperature !== undefined) params.temperature = e.temperature;
  if (e.max_tokens !== undefined) params.max_tokens = e.max_tokens;
  if (e.top_p !== undefined) params.top_p = e.top_p;
  if (e.seed !== undefined) params.seed = e.seed;
  return {
    slug: e.slug,
    model: e.model ?? e.slug,
    provider,
    baseURL: baseURL.replace(/\/+$/, ''),
    key,
    concurrency: e.concurrency,
    ...(e.rate_limit_rps !== undefined ? { rateLimitRps: e.rate_limit_rps } : {}),
    ...(e.timeout_s !== undefined ? { timeoutS: e.timeout_s } : {}),
    params,
    ...(from ? { from } : {}),
  };
}

/** Loopback endpoints (local servers) may be called without a key (see ./endpoints). */
export const isLoopback = isLoopbackUrl;

/**
 * Resolves the key of a model: the resolver first (the extension's SecretStorage), then the
 * environment variable. Never reads files.
 */
export async function resolveKey(
  model: ResolvedModel,
  env: NodeJS.ProcessEnv,
  keyResolver?: (m: ResolvedModel) => Promise<string | undefined>,
): Promise<{ key?: string; from: 'stored' | 'env' | 'none' }> {
  const fromResolver = keyResolver ? await keyResolver(model) : undefined;
  if (fromResolver) return { key: fromResolver, from: 'stored' };
  if (model.key.env) {
    const v = env[model.key.env]?.trim();
    if (v) return { key: v, from: 'env' };
  }
  return { from: 'none' };
}
