import * as vscode from 'vscode';

/** Settings as plain data; the core never reads VS Code settings itself. */
export interface WorkbenchConfig {
  debounceMs: number;
}

export function readConfig(): WorkbenchConfig {
  const c = vscode.workspace.getConfiguration('alignmentWorkbench');
  return { debounceMs: Math.max(0, c.get<number>('validation.debounceMs', 150)) };
}

/** `alignmentWorkbench.baseUrl` and whether the value in force comes from the workspace. */
export function readBaseUrlSetting(): { value?: string; fromWorkspace: boolean } {
  const i = vscode.workspace.getConfiguration('alignmentWorkbench').inspect<string>('baseUrl');
  const ws = i?.workspaceFolderValue ?? i?.workspaceValue;
  const value = (ws ?? i?.globalValue)?.trim();
  return value ? { value: value.replace(/\/+$/, ''), fromWorkspace: ws !== undefined } : { fromWorkspace: false };
}

/**
 * The environment a run sees: the extension host's, with `OPENAI_BASE_URL` replaced by the
 * `alignmentWorkbench.baseUrl` setting when set (a workspace value still needs approval).
 */
export function runEnvironment(): NodeJS.ProcessEnv {
  const s = readBaseUrlSetting();
  return s.value ? { ...process.env, OPENAI_BASE_URL: s.value } : process.env;
}
