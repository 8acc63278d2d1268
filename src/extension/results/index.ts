import * as vscode from 'vscode';
import { registerResultsCommands } from './resultsCommands';
import { RunsTreeProvider } from './runsTree';
import { ResultsPanel } from './panel/resultsPanel';

/**
 * The results features: the results panel (and its restore after a reload), the Runs tree and
 * the Open Results / run item commands. Safe in Restricted Mode: nothing here calls a model.
 */
export function registerResultsFeatures(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  ResultsPanel.log = log;
  const tree = new RunsTreeProvider(log);
  context.subscriptions.push(
    tree,
    vscode.window.registerTreeDataProvider('alignmentWorkbench.runs', tree),
    vscode.window.registerWebviewPanelSerializer(ResultsPanel.viewType, {
      deserializeWebviewPanel: (panel, state) => ResultsPanel.revive(panel, context, state),
    }),
    ...registerResultsCommands(context, tree),
  );
}

