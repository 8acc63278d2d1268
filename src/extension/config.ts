import * as vscode from 'vscode';

/** Settings as plain data; the core never reads VS Code settings itself. */
export interface WorkbenchConfig {
  debounceMs: number;
}

export function readConfig(): WorkbenchConfig {
  const c = vscode.workspace.getConfiguration('alignmentWorkbench');
  return { debounceMs: Math.max(0, c.get<number>('validation.debounceMs', 150)) };
}
