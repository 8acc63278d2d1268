import * as vscode from 'vscode';
import { registerGridPreview } from './grid/previewGrid';
import { registerLanguageFeatures } from './language';
import { registerRegistryView } from './registry/registryCommands';
import { registerResultsFeatures } from './results';
import { createLog } from './log';
import { registerRunCommands } from './run/commands';
import { RunManager } from './run/runManager';
import { KeyStore } from './run/secrets';
import { CaseRunLens } from './run/caseLens';
import { registerCompareFeatures } from './compare/comparePanel';

/**
 * One activation path: create the log, then register each feature in order. Validation and the
 * editing helpers work in Restricted Mode; features that run models check Workspace Trust.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  context.subscriptions.push(log);
  const version = (context.extension.packageJSON as { version?: string }).version ?? '?';
  log.info(`Alignment Workbench ${version} activating (trusted workspace: ${vscode.workspace.isTrusted})`);

  const diagnostics = registerLanguageFeatures(context, log);
  const keys = new KeyStore(context.secrets, log);
  const runs = new RunManager(context, keys, log);
  context.subscriptions.push(runs);
  registerRunCommands(context, runs, keys, log);
  const caseLens = new CaseRunLens(runs);
  context.subscriptions.push(
    caseLens,
    vscode.languages.registerCodeLensProvider([{ pattern: '**/*.cases.jsonl' }, { pattern: '**/*.cases.{yaml,yml}' }], caseLens),
    vscode.commands.registerCommand('alignmentWorkbench.runCase', (uri: vscode.Uri, id: string) => caseLens.runCase(uri, id)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => caseLens.refresh()),
  );
  registerGridPreview(context, log);
  registerResultsFeatures(context, log);
  registerCompareFeatures(context, log);
  registerRegistryView(context, log);
  if (vscode.workspace.getConfiguration('alignmentWorkbench').get<boolean>('showViewOnStartup')) {
    void vscode.commands.executeCommand('workbench.view.extension.alignmentWorkbench').then(undefined, (e: unknown) => log.warn(`could not show the view: ${String(e)}`));
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('alignmentWorkbench.showLog', () => log.show()),
    // The walkthrough's "Open local.bench.yaml": the try-out benchmark that runs against `awb serve-mock`.
    vscode.commands.registerCommand('alignmentWorkbench.walkthrough.openLocalBench', async () => {
      const [found] = await vscode.workspace.findFiles('**/local.bench.yaml', '**/node_modules/**', 1);
      if (found) await vscode.window.showTextDocument(found);
      else void vscode.window.showInformationMessage('Alignment Workbench: local.bench.yaml is in the repository\'s examples/ folder; open that folder (npm start does) to try it.');
    }),
    vscode.commands.registerCommand('alignmentWorkbench.validateWorkspace', async () => {
      const n = await diagnostics.validateWorkspace();
      void vscode.window.showInformationMessage(`Alignment Workbench: validated ${n} dataset file(s).`);
    }),
  );
}

export function deactivate(): void {}
