import * as vscode from 'vscode';
import { approvedOrigins, canonicalEndpoint, checkEndpoint, endpointIsFileNamed, endpointOrigin, type ResolvedModel } from '../../core';


export interface EndpointUse {
  model: ResolvedModel;
  role: 'model' | 'judge';
  /** Who uses it, for the prompt: e.g. `model "local-qwen"` or `the judge "j"`. */
  user: string;
  /** Where it came from, for the prompt: a file (and line), or the workspace setting. */
  source: string;
  /** The endpoint is the workspace's `alignmentWorkbench.baseUrl` (it stands in for OPENAI_BASE_URL). */
  fromWorkspaceSetting?: boolean;
}

/**
 * Approvals of endpoints named by workspace files, kept in the extension's global state (not in
 * the workspace, which could forge them) and bound to the workspace and the exact URL: changing a
 * single character asks again. What needs asking is the core's decision (checkEndpoint,
 * endpointIsFileNamed), the same the CLI and the run worker apply; an origin the user approved for
 * every workspace (`awb endpoints approve`, AWB_ALLOW_ENDPOINTS) is not asked about again.
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

  /**
   * Asks, once per workspace and URL, before any request goes to an endpoint a workspace file
   * named. Returns the URLs approved for this workspace (handed to the run worker, whose core gate
   * checks them again), or undefined when something is refused (nothing is sent then): plain http
   * off this machine, an `api_key_env` that is not a model key variable, or the user saying no.
   */
  async ensureApproved(uses: EndpointUse[], env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
    const userLevel = approvedOrigins({ env });
    const approved: string[] = [];
    for (const use of uses) {
      const refused = checkEndpoint(use.model, use.role, 'none', { env });
      if (refused) {
        void vscode.window.showErrorMessage(`Alignment Workbench: ${use.source}: ${refused.message}. Nothing was sent.`);
        return undefined;
      }
      const baseURL = use.model.baseURL;
      const needs = use.fromWorkspaceSetting || endpointIsFileNamed(use.model, env);
      if (!needs) continue;
      if (this.isApproved(baseURL) || userLevel.has(endpointOrigin(baseURL)!)) { approved.push(baseURL); continue; }
      const allow = 'Allow';
      const choice = await vscode.window.showWarningMessage(
        `Send requests to ${canonicalEndpoint(baseURL)}?`,
        { modal: true, detail: `${use.source} in this workspace points ${use.user} at this endpoint. Prompts and, if you have set one for it, its API key will be sent there. Allow only endpoints you trust.` },
        allow,
      );
      if (choice !== allow) return undefined;
      await this.remember(baseURL);
      approved.push(baseURL);
    }
    return approved;
  }
}
