import * as vscode from 'vscode';
import { PROVIDER_PRESETS } from '../../core';

/** Origins that need no approval: the built-in provider presets. */
const PRESET_ORIGINS = new Set(Object.values(PROVIDER_PRESETS).map((p) => new URL(p.baseURL).origin));

/** A URL reduced to what identifies where requests go: scheme, host, port and path. */
export function canonicalEndpoint(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
}

export function isLoopbackHost(url: string): boolean {
  const h = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export interface EndpointUse {
  baseURL: string;
  /** Who uses it, for the prompt: e.g. `model "local-qwen"` or `the judge`. */
  user: string;
  /** Where it came from: `environment`, `preset` or a workspace file's name. */
  source: string;
}

/**
 * Approvals of endpoints named by workspace files, kept in the extension's global state (not in
 * the workspace, which could forge them) and bound to the workspace and the exact URL: changing a
 * single character asks again.
 */
export class EndpointApprovals {
  private static readonly stateKey = 'alignmentWorkbench.approvedEndpoints';

  constructor(private readonly state: vscode.Memento) {}

  private workspaceId(): string {
    return vscode.workspace.workspaceFile?.toString() ?? vscode.workspace.workspaceFolders?.map((f) => f.uri.toString()).join('|') ?? 'no-workspace';
  }

  private fingerprint(baseURL: string): string {
    return `${this.workspaceId()}#${canonicalEndpoint(baseURL)}`;
  }

  isApproved(baseURL: string): boolean {
    return this.state.get<string[]>(EndpointApprovals.stateKey, []).includes(this.fingerprint(baseURL));
  }

  private async remember(baseURL: string): Promise<void> {
    const list = this.state.get<string[]>(EndpointApprovals.stateKey, []);
    await this.state.update(EndpointApprovals.stateKey, [...new Set([...list, this.fingerprint(baseURL)])]);
  }

  /** Whether an endpoint may be called without asking: presets and the user's own environment. */
  static needsApproval(use: EndpointUse): boolean {
    if (use.source === 'environment') return false;
    if (use.source !== 'preset') return true;
    try { return !PRESET_ORIGINS.has(new URL(use.baseURL).origin); } catch { return true; }
  }

  /**
   * Asks, once per workspace and URL, before any request goes to an endpoint a workspace file
   * named. Returns false when the user refuses (nothing is sent then). Plain http is refused
   * except on loopback.
   */
  async ensureApproved(uses: EndpointUse[]): Promise<boolean> {
    for (const use of uses) {
      if (!EndpointApprovals.needsApproval(use) || this.isApproved(use.baseURL)) continue;
      let url: URL;
      try { url = new URL(use.baseURL); } catch {
        void vscode.window.showErrorMessage(`Alignment Workbench: ${use.user} has an invalid endpoint URL in ${use.source}.`);
        return false;
      }
      if (url.protocol !== 'https:' && !isLoopbackHost(use.baseURL)) {
        void vscode.window.showErrorMessage(`Alignment Workbench: refusing plain-http endpoint ${canonicalEndpoint(use.baseURL)} for ${use.user}: use https (http is allowed only on this machine).`);
        return false;
      }
      const allow = 'Allow';
      const choice = await vscode.window.showWarningMessage(
        `Send requests to ${canonicalEndpoint(use.baseURL)}?`,
        { modal: true, detail: `${use.source} in this workspace points ${use.user} at this endpoint. Prompts and, if you have set one for it, its API key will be sent there. Allow only endpoints you trust.` },
        allow,
      );
      if (choice !== allow) return false;
      await this.remember(use.baseURL);
    }
    return true;
  }
}
