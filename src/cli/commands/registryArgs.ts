// What every `awb registry` subcommand shares: the common options, the context, argument helpers.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Registry } from '../../core/registry';
import { UsageError, type CliIO } from '../usage';

/** Options every registry subcommand accepts. */
export const COMMON_OPTIONS = {
  registry: { type: 'string' },
  token: { type: 'string' },
  format: { type: 'string', default: 'text' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface RegistryContext {
  io: CliIO;
  format: 'text' | 'json';
  location: string;
  token: string | undefined;
  /** Opened on first use, so `--help` and usage errors never touch the file. */
  open: () => Registry;
}

export type RegistrySubcommand = (argv: string[], ctx: RegistryContext) => Promise<number>;

/** parseArgs with the common options added; strict, so an unknown flag is a usage error. */
export function parseSub<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, positionals = true) {
  return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: positionals, strict: true });
}

/** The one positional dataset id a subcommand needs. */
export function oneId(positionals: string[], sub: string): string {
  if (positionals.length !== 1) throw new UsageError(`${sub} needs exactly one dataset ID`);
  return positionals[0]!;
}

/** Terminal-safe text: registry content is untrusted, so control characters (ANSI escapes) are shown escaped. */
export function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A quality score as aumai-alignment's CLI prints it (`{:.2f}`): 0.5 prints as "0.50", 1 as "1.00". */
export function quality(n: number): string {
  return n.toFixed(2);
}

