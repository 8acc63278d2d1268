import * as vscode from 'vscode';

/** The extension's one output channel ("Alignment Workbench"), with log levels. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Alignment Workbench', { log: true });
}
