import * as vscode from 'vscode';
import { DatasetCompletions } from './completions';
import { DatasetDiagnostics } from './diagnostics';
import { DatasetHovers } from './hovers';
import { DatasetQuickFixes, SAVE_ROSTER_COMMAND } from './quickFixes';
import { DatasetSymbols } from './symbols';
import { caseAnchors } from './caseAnchors';
import { defineHandlers } from '../commands';

/** Every dataset format, by file pattern (JSONL and YAML languages, whatever the user has set). */
const DATASET_SELECTOR: vscode.DocumentSelector = [
  { pattern: '**/*.cases.jsonl' },
  { pattern: '**/*.{cases,dataset,bench,grid,personas,models}.{yaml,yml}' },
  { pattern: '**/{personas,models}.{yaml,yml}' },
  { pattern: '**/*.dataset.json' },
];

/**
 * Registers validation and the editing helpers, and returns their commands (for the command
 * table) and the cases of a cases file (for the case lenses); none of it needs Workspace Trust.
 */
export function registerLanguageFeatures(context: vscode.ExtensionContext, log: vscode.LogOutputChannel) {
  const diagnostics = new DatasetDiagnostics(log);
  context.subscriptions.push(
    diagnostics,
    vscode.languages.registerCompletionItemProvider(DATASET_SELECTOR, new DatasetCompletions(), '"', '{', ':', ' ', '-'),
    vscode.languages.registerHoverProvider(DATASET_SELECTOR, new DatasetHovers()),
    vscode.languages.registerDocumentSymbolProvider(DATASET_SELECTOR, new DatasetSymbols(diagnostics)),
    vscode.languages.registerCodeActionsProvider(DATASET_SELECTOR, new DatasetQuickFixes(), { providedCodeActionKinds: DatasetQuickFixes.kinds }),
  );
  void diagnostics.validateWorkspace().then(
    (n) => log.info(`validated ${n} dataset file(s) in the workspace`),
    (err: unknown) => log.error(`workspace validation failed: ${String(err)}`),
  );
  const commands = defineHandlers({
    'alignmentWorkbench.validateWorkspace': async () => {
      const n = await diagnostics.validateWorkspace();
      void vscode.window.showInformationMessage(`Alignment Workbench: validated ${n} dataset file(s).`);
    },
    [SAVE_ROSTER_COMMAND]: async (uri: vscode.Uri) => {
      const doc = vscode.workspace.textDocuments.find((t) => t.uri.toString() === uri.toString());
      if (doc?.isDirty) await doc.save();
    },
  });
  return { commands, caseAnchors: (doc: vscode.TextDocument) => caseAnchors(doc, diagnostics) };
}
