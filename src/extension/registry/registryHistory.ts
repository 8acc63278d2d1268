import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { EvaluationResult, Listing } from '../../core/registry';

const HISTORY_SCHEME = 'awb-registry-history';

/** A table cell from untrusted text: one line, no table or HTML syntax, bounded. */
function cell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/[|\\`*<>&[\]]/g, (c) => `\\${c}`);
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

const num = (v: number | undefined, digits = 4): string => (v === undefined ? '' : String(Number(v.toFixed(digits))));

/**
 * The evaluation history of a dataset as a Markdown table, newest first, padded so it reads as a
 * table in the editor itself. Returns the text and, per data row, its line and run folder.
 */
export function renderHistory(listing: Listing, registry: string, results: readonly EvaluationResult[]): { text: string; rows: { line: number; runDir: string | null; runId: string | null }[] } {
  const d = listing.dataset;
  const header = ['Evaluated (UTC)', 'Model', 'Persona', 'Score', 'Samples', 'Attacks won', 'Safety', 'Errors', 'Run', 'Data'];
  const body = results.map((r) => [
    cell(r.evaluated_at.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, '')), cell(r.model_name), cell(r.persona ?? ''), num(r.score),
    num(r.metrics.sample_count, 0), num(r.metrics.attack_success_rate, 3), num(r.metrics.mean_safety, 3), num(r.metrics.errors, 0),
    cell(r.run_id ?? ''), cell(r.data_sha256 ? r.data_sha256.slice(0, 8) : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const lines = [
    `# Evaluation history: ${cell(d.name)} (${cell(d.dataset_id)})`,
    '',
    `Registry: ${cell(registry)}  `,
    `${results.length} evaluation${results.length === 1 ? '' : 's'}, newest first. Score: mean of the scores (a run's mean overall); Attacks won: attack success rate; Safety: mean safety score.  `,
    ...(listing.sha256 ? [`Data: the first digits of the sha256 of the data evaluated; the dataset's data now is ${listing.sha256.slice(0, 8)}, and rows on other data are not comparable.`] : []),
    '',
  ];
  if (results.length === 0) {
    lines.push('No evaluations yet. Run a benchmark on this dataset, or `awb registry evaluate`.');
    return { text: lines.join('\n') + '\n', rows: [] };
  }
  lines.push(line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  const rows = results.map((r) => {
    lines.push(line(body[results.indexOf(r)]!));
    return { line: lines.length - 1, runDir: r.run_dir ?? null, runId: r.run_id ?? null };
  });
  return { text: lines.join('\n') + '\n', rows };
}

/** Read-only history documents, with a CodeLens on each row that opens its run's results. */
export class HistoryDocuments implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider {
  private readonly docs = new Map<string, ReturnType<typeof renderHistory>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  static register(context: vscode.ExtensionContext): HistoryDocuments {
    const h = new HistoryDocuments();
    context.subscriptions.push(
      h.changed,
      vscode.workspace.registerTextDocumentContentProvider(HISTORY_SCHEME, h),
      vscode.languages.registerCodeLensProvider({ scheme: HISTORY_SCHEME }, h),
    );
    return h;
  }

  async show(sourceKey: string, listing: Listing, registry: string, results: readonly EvaluationResult[]): Promise<void> {
    const uri = vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${encodeURIComponent(sourceKey)}/${encodeURIComponent(listing.dataset.dataset_id)} history.md` });
    this.docs.set(uri.toString(), renderHistory(listing, registry, results));
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  /** Any read-only text (a remote card) under this scheme; never dirty, never saved by accident. */
  async showText(path: string, text: string, language?: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: HISTORY_SCHEME, path });
    this.docs.set(uri.toString(), { text, rows: [] });
    this.changed.fire(uri);
    let doc = await vscode.workspace.openTextDocument(uri);
    if (language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString())?.text ?? 'This history is no longer loaded; open it again from the Registry view.\n';
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const rendered = this.docs.get(doc.uri.toString());
    if (!rendered) return [];
    return rendered.rows.filter((r) => r.runDir).map((r) => {
      const range = new vscode.Range(r.line, 0, r.line, 0);
      const found = existsSync(r.runDir!);
      return new vscode.CodeLens(range, found
        ? { title: `Open results of run ${r.runId ?? ''}`.trim(), command: 'alignmentWorkbench.openResults', arguments: [r.runDir] }
        : { title: `Run folder not found: ${r.runDir}`, command: '' });
    });
  }
}
