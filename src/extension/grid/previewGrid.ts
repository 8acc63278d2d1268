import * as vscode from 'vscode';
import { basename } from 'node:path';
import { buildGrid, GridFileError, parseGridText, type Case } from '../../core';
import { defineHandlers } from '../commands';

const SCHEME = 'awb-grid-preview';
const PREVIEW_GROUPS = 12;

/** Renders what a grid builds as plain text: nothing here is interpreted as markup. */
function renderGridPreview(file: string, cases: Case[], groupCount: number, fullGroupCount: number): string {
  const lines = [
    `# Preview of ${basename(file)}`,
    '',
    `Full grid: ${fullGroupCount} groups. Shown: ${groupCount} groups (seeded balanced sample), ${cases.length} cases.`,
    'Nothing has been sent to any model. Build the cases with: awb grid build ' + basename(file) + ' --include-neutral',
    '',
  ];
  const byGroup = new Map<string, Case[]>();
  for (const c of cases) {
    const g = c.group_id ?? c.id;
    byGroup.set(g, [...(byGroup.get(g) ?? []), c]);
  }
  for (const [group, members] of byGroup) {
    const meta = members[0]?.metadata ?? {};
    lines.push(`## ${group}`, '', ...Object.entries(meta).map(([k, v]) => `- ${k}: ${String(v)}`), '');
    for (const c of members) {
      const turns = typeof c.conversation === 'string' ? c.conversation : c.conversation.map((t) => t.content).join('\n\n');
      lines.push(`### ${c.perspective ?? '?'} (${c.id})`, '', turns, '');
    }
  }
  return lines.join('\n');
}

/** "Preview Grid": the cases a grid builds, before anything is spent, in a read-only tab. */
export function registerGridPreview(context: vscode.ExtensionContext, log: vscode.LogOutputChannel) {
  const contents = new Map<string, string>();
  const changed = new vscode.EventEmitter<vscode.Uri>();
  context.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, { onDidChange: changed.event, provideTextDocumentContent: (uri) => contents.get(uri.toString()) ?? '' }),
  );
  return defineHandlers({
    'alignmentWorkbench.previewGrid': async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (!uri || !/\.grid\.ya?ml$/i.test(uri.path)) {
        void vscode.window.showErrorMessage('Alignment Workbench: open a *.grid.yaml to preview it.');
        return;
      }
      const doc = await vscode.workspace.openTextDocument(uri);
      try {
        const grid = await parseGridText(uri.fsPath, doc.getText());
        const built = buildGrid(grid, { limit: PREVIEW_GROUPS, includeNeutral: true });
        const target = vscode.Uri.from({ scheme: SCHEME, path: `/${basename(uri.fsPath)}.preview.md` });
        contents.set(target.toString(), renderGridPreview(uri.fsPath, built.cases, built.groupCount, built.fullGroupCount));
        changed.fire(target);
        const shown = await vscode.workspace.openTextDocument(target);
        await vscode.window.showTextDocument(shown, { preview: true, viewColumn: vscode.ViewColumn.Beside });
      } catch (err) {
        const msg = err instanceof GridFileError ? `${err.diagnostics.length} error(s) in the grid; see the Problems panel.` : err instanceof Error ? err.message : String(err);
        log.warn(`preview grid ${uri.fsPath}: ${msg}`);
        void vscode.window.showErrorMessage(`Alignment Workbench: cannot preview the grid: ${msg}`);
      }
    },
  });
}
