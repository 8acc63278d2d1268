import * as vscode from 'vscode';

/**
 * Running sends prompts (and keys) over the network, so it needs a trusted workspace. Checked in
 * code as well as in the manifest, because hidden commands can still be invoked.
 */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(
      `Alignment Workbench: ${action} needs a trusted workspace. In Restricted Mode only validation runs; no request is sent.`,
      'Manage Workspace Trust',
    )
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}
