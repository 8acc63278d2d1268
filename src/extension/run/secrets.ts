import * as vscode from 'vscode';
import { PROVIDER_PRESETS, PROVIDER_NAMES, type ProviderName } from '../../core';

/** What the core tells us about a model when it asks for its key. */
export interface KeyRequest {
  slug: string;
  provider: string;
  baseURL: string;
  key: { env?: string; secret?: string };
}

interface StoredKey {
  key: string;
  /** The only endpoint origin this key may be sent to. */
  origin: string;
}

const PREFIX = 'alignmentWorkbench.key.';

/**
 * API keys in SecretStorage, one entry per provider (or per named custom endpoint), each bound to
 * the origin it belongs to: a stored key is never handed out for a request to another host,
 * whatever a workspace file says. Keys are never written to settings, state or logs.
 */
export class KeyStore {
  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: vscode.LogOutputChannel) {}

  private async read(name: string): Promise<StoredKey | undefined> {
    try {
      const raw = await this.secrets.get(PREFIX + name);
      if (!raw) return undefined;
      const parsed = JSON.parse(raw) as StoredKey;
      return typeof parsed.key === 'string' && typeof parsed.origin === 'string' ? parsed : undefined;
    } catch (err) {
      // A broken keyring means "no key": the user is asked again; never fall back to plaintext.
      this.log.warn(`could not read a stored key (${name}): ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  async store(name: string, key: string, origin: string): Promise<boolean> {
    try {
      await this.secrets.store(PREFIX + name, JSON.stringify({ key, origin } satisfies StoredKey));
      return true;
    } catch (err) {
      this.log.error(`could not store the key for ${name}: ${err instanceof Error ? err.message : String(err)}`);
      void vscode.window.showErrorMessage('Alignment Workbench: the key could not be stored (no keyring?). Set it in the environment instead.');
      return false;
    }
  }

  async clear(name: string): Promise<void> {
    await this.secrets.delete(PREFIX + name);
  }

  /** The stored key for a model, only if it was stored for the origin the model calls. */
  async keyFor(m: KeyRequest): Promise<string | undefined> {
    let origin: string;
    try { origin = new URL(m.baseURL).origin; } catch { return undefined; }
    const names = [m.key.secret ? `secret:${m.key.secret}` : undefined, m.provider in PROVIDER_PRESETS ? `provider:${m.provider}` : undefined, `endpoint:${origin}`]
      .filter((n): n is string => Boolean(n));
    for (const name of names) {
      const stored = await this.read(name);
      if (!stored) continue;
      if (stored.origin === origin) return stored.key;
      this.log.warn(`not sending the stored key "${name}" to ${origin}: it belongs to ${stored.origin}`);
    }
    return undefined;
  }

  /** The "Set API Key" flow: pick a provider (or a custom endpoint), then a password box. */
  async promptAndStore(): Promise<void> {
    const items: (vscode.QuickPickItem & { name: string; origin?: string })[] = [
      ...PROVIDER_NAMES.map((p: ProviderName) => ({ label: p, description: new URL(PROVIDER_PRESETS[p].baseURL).origin, detail: `or the environment variable ${PROVIDER_PRESETS[p].keyEnv}`, name: `provider:${p}`, origin: new URL(PROVIDER_PRESETS[p].baseURL).origin })),
      { label: 'Custom endpoint…', description: 'an OpenAI-compatible URL', name: 'endpoint' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Set API Key: which provider?', ignoreFocusOut: true });
    if (!pick) return;
    let name = pick.name;
    let origin = pick.origin;
    if (name === 'endpoint') {
      const url = await vscode.window.showInputBox({ title: 'Endpoint base URL', placeHolder: 'https://my-gateway.example.com/v1', ignoreFocusOut: true, validateInput: (v) => { try { new URL(v); return undefined; } catch { return 'Enter a full URL'; } } });
      if (!url) return;
      origin = new URL(url).origin;
      name = `endpoint:${origin}`;
    }
    const key = await vscode.window.showInputBox({ title: `API key for ${pick.label === 'Custom endpoint…' ? origin : pick.label}`, password: true, ignoreFocusOut: true, prompt: `Stored in VS Code's secret storage and sent only to ${origin}.`, validateInput: (v) => (v.trim() ? undefined : 'The key is empty') });
    if (!key || !origin) return;
    if (await this.store(name, key.trim(), origin)) void vscode.window.showInformationMessage(`Alignment Workbench: key stored for ${pick.label === 'Custom endpoint…' ? origin : pick.label}.`);
  }

  async promptAndClear(): Promise<void> {
    const items = PROVIDER_NAMES.map((p) => ({ label: p, name: `provider:${p}` }));
    const pick = await vscode.window.showQuickPick(items, { title: 'Clear API Key: which provider?' });
    if (!pick) return;
    await this.clear(pick.name);
    void vscode.window.showInformationMessage(`Alignment Workbench: key for ${pick.label} cleared.`);
  }
}
