import * as vscode from 'vscode';
import { resultsCommands } from './resultsCommands';
import { RunsTreeProvider } from './runsTree';
import { ResultsPanel } from './panel/resultsPanel';

/**
 * The results features: the results panel (and its restore after a reload), the Runs tree and
 * the Open Results / run item commands (returned, for the command table). Safe in Restricted Mode:
 * nothing here calls a model.
 */
export function registerResultsFeatures(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): ReturnType<typeof resultsCommands> {
  ResultsPanel.log = log;
  const tree = new RunsTreeProvider(log);
  context.subscriptions.push(
    tree,
    vscode.window.registerTreeDataProvider('alignmentWorkbench.runs', tree),
    vscode.window.registerWebviewPanelSerializer(ResultsPanel.viewType, {
      deserializeWebviewPanel: (panel, state) => ResultsPanel.revive(panel, context, state),
    }),
  );
  return resultsCommands(context, tree);
}

