import * as vscode from 'vscode';
import { redact } from '../core';
import { isExpectedError } from '../core/errors';
import { COMMANDS, collectHandlers, type CommandHandler, type CommandId } from './commands';

/**
 * Running sends prompts (and keys) over the network, so it needs a trusted workspace. Checked in
 * code as well as in the manifest's when-clauses, because hidden commands can still be invoked.
 */
function requireTrust(action: string): boolean {
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

/** An error that escaped a command's handler, reported as the command table says. */
function reportError(id: CommandId, err: unknown, log: vscode.LogOutputChannel): void {
  const message = redact(err instanceof Error ? err.message : String(err));
  const expected = isExpectedError(err);
  if (expected) log.warn(`${id}: ${message}`);
  else log.error(`${id} failed: ${redact(err instanceof Error ? err.stack ?? err.message : String(err))}`);
  if (COMMANDS[id].errors !== 'notify') return;
  if (expected) void vscode.window.showErrorMessage(`Alignment Workbench: ${message}`);
  else void vscode.window.showErrorMessage(`Alignment Workbench: ${message}`, 'Show Log').then((choice) => { if (choice) log.show(); });
}

/**
 * The one place commands are registered: every entry of the command table (`commands.ts`) with
 * its feature's handler. A command that needs trust does nothing in Restricted Mode but say so.
 */
export function registerCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, features: readonly Partial<Record<CommandId, CommandHandler>>[]): void {
  for (const [id, handler] of collectHandlers(features)) {
    const policy = COMMANDS[id];
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      if (policy.needsTrust && !requireTrust(policy.action)) return undefined;
      try {
        return await handler(...args);
      } catch (err) {
        reportError(id, err, log);
        return undefined;
      }
    }));
  }
  log.info(`${Object.keys(COMMANDS).length} commands registered`);
}
