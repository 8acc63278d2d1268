import * as vscode from 'vscode';
import { registerGridPreview } from './grid/previewGrid';
import { registerLanguageFeatures } from './language';
import { registerRegistryView } from './registry/registryCommands';
import { registerResultsFeatures } from './results';
import { createLog } from './log';
import { runCommands } from './run/commands';
import { RunManager } from './run/runManager';
import { KeyStore } from './run/secrets';
import { CaseRunLens } from './run/caseLens';
import { compareCommands } from './compare/comparePanel';
import { defineHandlers } from './commands';
import { registerCommands } from './registerCommands';

/**
 * One activation path: create the log, set up each feature in order (each returns its commands'
 * handlers), then register every command of the table in `commands.ts` in one place, which checks
 * Workspace Trust for the commands that run models. Validation and the editing helpers work in
 * Restricted Mode.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  context.subscriptions.push(log);
  const version = (context.extension.packageJSON as { version?: string }).version ?? '?';
  log.info(`Alignment Workbench ${version} activating (trusted workspace: ${vscode.workspace.isTrusted})`);

  const language = registerLanguageFeatures(context, log);
  const keys = new KeyStore(context.secrets, log);
  const runs = new RunManager(context, keys, log);
  context.subscriptions.push(runs);
  const caseLens = new CaseRunLens(runs, language.caseAnchors);
  context.subscriptions.push(
    caseLens,
    vscode.languages.registerCodeLensProvider([{ pattern: '**/*.cases.jsonl' }, { pattern: '**/*.cases.{yaml,yml}' }], caseLens),
    vscode.workspace.onDidGrantWorkspaceTrust(() => caseLens.refresh()),
  );
  const grid = registerGridPreview(context, log);
  const results = registerResultsFeatures(context, log);
  const registry = registerRegistryView(context, log);

  registerCommands(context, log, [
    defineHandlers({
      'alignmentWorkbench.showLog': () => log.show(),
      // The walkthrough's "Open local.bench.yaml": the try-out benchmark that runs against `awb serve-mock`.
      'alignmentWorkbench.walkthrough.openLocalBench': async () => {
        const [found] = await vscode.workspace.findFiles('**/local.bench.yaml', '**/node_modules/**', 1);
        if (found) await vscode.window.showTextDocument(found);
        else void vscode.window.showInformationMessage('Alignment Workbench: local.bench.yaml is in the repository\'s examples/ folder; open that folder (npm start does) to try it.');
      },
    }),
    language.commands,
    runCommands(runs, keys, caseLens, log),
    grid,
    results,
    compareCommands(context, log),
    registry,
  ]);

  if (vscode.workspace.getConfiguration('alignmentWorkbench').get<boolean>('showViewOnStartup')) {
    void vscode.commands.executeCommand('workbench.view.extension.alignmentWorkbench').then(undefined, (e: unknown) => log.warn(`could not show the view: ${String(e)}`));
  }
}

export function deactivate(): void {}
