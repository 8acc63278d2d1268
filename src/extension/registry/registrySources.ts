import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { LocalRegistry, RemoteRegistry, RemoteRegistryError, defaultRegistryPath, resolveRegistryLocation } from '../../core/registry';
import type { RegistrySource } from './registryTree';

interface RemoteSetting {
  name: string;
  url: string;
}

/**
 * `alignmentWorkbench.registries`, user settings only: the setting is application-scoped, and a
 * value a workspace file tries to set is ignored here too, so a workspace cannot add a registry.
 */
function readRemoteSettings(log: vscode.LogOutputChannel): RemoteSetting[] {
  const raw = vscode.workspace.getConfiguration('alignmentWorkbench').inspect<unknown>('registries')?.globalValue;
  if (!Array.isArray(raw)) return [];
  const out: RemoteSetting[] = [];
  for (const item of raw) {
    const url = typeof item === 'string' ? item : (item as { url?: unknown } | null)?.url;
    const name = typeof item === 'object' && item && typeof (item as { name?: unknown }).name === 'string' ? (item as { name: string }).name : undefined;
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) { log.warn(`alignmentWorkbench.registries: ignoring ${JSON.stringify(item)} (needs an http(s) url)`); continue; }
    out.push({ name: name || new URL(url).host, url: url.replace(/\/+$/, '') });
  }
  return out;
}

/** The local registry file: the machine-scoped setting, else AWB_REGISTRY (a path), else the default. */
export function localRegistryPath(): string {
  const setting = vscode.workspace.getConfiguration('alignmentWorkbench').inspect<string>('registryPath')?.globalValue?.trim();
  const env = process.env.AWB_REGISTRY && !/^https?:/i.test(process.env.AWB_REGISTRY) ? process.env.AWB_REGISTRY : undefined;
  if (!setting && !env) return defaultRegistryPath();
  return resolveRegistryLocation({ flag: setting || env, env: {}, cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd() });
}

const tokenKey = (url: string): string => `alignmentWorkbench.registryToken:${url}`;

/** The registries the view shows, kept current with the settings; remote tokens live in SecretStorage. */
export class RegistrySources implements vscode.Disposable {
  private local: { path: string; registry: LocalRegistry } | undefined;
  private remotes = new Map<string, RegistrySource>();
  private list: RegistrySource[] = [];
  private watcher: vscode.Disposable[] = [];
  private lastStat = '';
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel, private readonly onChange: () => void) {}

  /** Re-reads the settings (and tokens) and rebuilds the list of registries. */
  async reload(): Promise<void> {
    const path = localRegistryPath();
    if (this.local?.path !== path) {
      await this.local?.registry.close();
      this.local = { path, registry: new LocalRegistry(path) };
      this.watch(path);
      this.log.info(`Registry: local registry ${path}`);
    }
    const remotes = new Map<string, RegistrySource>();
    for (const r of readRemoteSettings(this.log)) {
      const token = await Promise.resolve(this.context.secrets.get(tokenKey(r.url))).catch(() => undefined);
      remotes.set(r.url, { key: `remote:${r.url}`, label: r.name, remote: true, registry: new RemoteRegistry(r.url, token) });
    }
    this.remotes = remotes;
    this.list = [{ key: 'local', label: 'Local Registry', remote: false, registry: this.local.registry }, ...remotes.values()];
  }

  all(): RegistrySource[] {
    return this.list;
  }

  localSource(): RegistrySource {
    return this.list[0]!;
  }

  /** Runs a write against a registry; a remote that answers 401 gets a token asked for, stored and retried once. */
  async write<T>(source: RegistrySource, fn: (s: RegistrySource) => Promise<T>): Promise<T | undefined> {
    try {
      return await fn(source);
    } catch (err) {
      if (!(source.remote && err instanceof RemoteRegistryError && err.status === 401)) throw err;
      const url = source.registry.location;
      const token = await vscode.window.showInputBox({ title: `Token for ${url}`, prompt: 'The registry needs a bearer token for writes. It is kept in VS Code\'s secret storage.', password: true, ignoreFocusOut: true });
      if (!token) return undefined;
      await this.context.secrets.store(tokenKey(url), token);
      const retried: RegistrySource = { ...source, registry: new RemoteRegistry(url, token) };
      this.remotes.set(url, retried);
      this.list = this.list.map((s) => (s.key === source.key ? retried : s));
      return fn(retried);
    }
  }

  private watch(path: string): void {
    for (const d of this.watcher.splice(0)) d.dispose();
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(path)), basename(path)));
    this.watcher.push(w, w.onDidChange(this.onChange), w.onDidCreate(this.onChange), w.onDidDelete(this.onChange));
    // File events for folders outside the workspace are not delivered everywhere; a cheap stat poll covers that.
    clearInterval(this.poll);
    this.lastStat = this.statOf(path);
    this.poll = setInterval(() => {
      const s = this.statOf(path);
      if (s !== this.lastStat) { this.lastStat = s; this.onChange(); }
    }, 2000);
  }

  private statOf(path: string): string {
    try {
      const s = statSync(path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'absent';
    }
  }

  dispose(): void {
    clearInterval(this.poll);
    for (const d of this.watcher.splice(0)) d.dispose();
    void this.local?.registry.close();
  }
}
