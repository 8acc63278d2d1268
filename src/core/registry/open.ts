import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalRegistry } from './localRegistry';
import type { Registry } from './model';
import { RemoteRegistry } from './remote';

/** `~/.alignment-workbench/registry.sqlite`: the registry used when nothing else is named. */
export function defaultRegistryPath(home = homedir()): string {
  return join(home, '.alignment-workbench', 'registry.sqlite');
}

export function isRegistryUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * Which registry to use: `--registry` first, then `AWB_REGISTRY`, then the default file. A path is
 * resolved against `cwd`; an http(s) URL is kept as is (a remote registry).
 */
export function resolveRegistryLocation(opts: { flag?: string; env?: NodeJS.ProcessEnv; cwd?: string; home?: string } = {}): string {
  const chosen = opts.flag || opts.env?.AWB_REGISTRY || '';
  if (!chosen) return defaultRegistryPath(opts.home);
  if (isRegistryUrl(chosen)) return chosen;
  const expanded = chosen === '~' || chosen.startsWith('~/') ? join(opts.home ?? homedir(), chosen.slice(1)) : chosen;
  return resolve(opts.cwd ?? process.cwd(), expanded);
}

/** Opens a local (SQLite file) or remote (http URL) registry. Nothing is written until a write. */
export function openRegistry(location: string, opts: { token?: string } = {}): Registry {
  return isRegistryUrl(location) ? new RemoteRegistry(location, opts.token) : new LocalRegistry(location);
}
