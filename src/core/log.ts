/**
 * The core's logging interface. The extension implements it with a LogOutputChannel, the CLI with
 * stderr and `run.log`; the core never logs anywhere else. Every line passes through `redact`.
 */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = keyof Logger;
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** A logger that drops everything. */
export const noopLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Fans one message out to several loggers. */
export function teeLogger(...loggers: Logger[]): Logger {
  const out = {} as Logger;
  for (const level of LOG_LEVELS) out[level] = (m: string) => { for (const l of loggers) l[level](m); };
  return out;
}

/** Wraps a logger so every message is redacted first (with the given known secrets). */
export function redactingLogger(inner: Logger, secrets: () => Iterable<string> = () => []): Logger {
  const out = {} as Logger;
  for (const level of LOG_LEVELS) out[level] = (m: string) => inner[level](redact(m, secrets()));
  return out;
}

const QUERY_SECRET_NAMES = /^(?:api[-_]?key|key|token|access[-_]?token|auth|authorization|sig|signature|secret|password|pass|pwd|credential|credentials|x-goog-api-key|code)$/i;

// Shapes of provider keys seen in the wild; anything matching is replaced even when not registered.
const KEY_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_\-]{8,}/g, // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), OpenRouter (sk-or-)
  /\bgsk_[A-Za-z0-9]{10,}/g, // Groq
  /\bhf_[A-Za-z0-9]{10,}/g, // Hugging Face
  /\bcsk-[A-Za-z0-9]{10,}/g, // Cerebras
  /\bAIza[0-9A-Za-z_\-]{20,}/g, // Google
  /\bxai-[A-Za-z0-9]{10,}/g,
];

/**
 * Removes secrets from a message: the given key values, anything shaped like a provider key,
 * `Bearer …` tokens, URL userinfo (`https://user:pass@host`) and the values of query parameters
 * that carry credentials (`?key=`, `?sig=`, `?token=` …). Used on every log line and every error
 * message the core records.
 */
export function redact(message: string, secrets: Iterable<string> = []): string {
  let s = message;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) s = s.split(secret).join('[REDACTED]');
  }
  s = s.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+/gi, '$1 [REDACTED]');
  // userinfo in any scheme://user:pass@host
  s = s.replace(/\b([a-z][a-z0-9+.\-]*:\/\/)[^\s/@?#]+@/gi, '$1[REDACTED]@');
  // credential-bearing query (and fragment) parameters
  s = s.replace(/([?&#;])([^=&\s#"']+)=([^&\s#"']*)/g, (whole, sep: string, name: string, _v: string) =>
    QUERY_SECRET_NAMES.test(decodeSafe(name)) ? `${sep}${name}=[REDACTED]` : whole);
  for (const re of KEY_PATTERNS) s = s.replace(re, '[REDACTED]');
  return s;
}

function decodeSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}
