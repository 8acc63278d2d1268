import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { detectKind, FILE_KIND_GLOBS, JsonlDocumentValidator, validateFile, validateText } from '../../core';
import { readConfig } from '../config';
import { toVsDiagnostic } from './positions';

/**
 * Keeps the Problems panel in step with every dataset file: open documents are validated as the
 * user types (debounced; a JSONL document re-checks only the lines an edit touched), and files
 * that are not open are validated from disk on activation and when they change.
 */
export class DatasetDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('alignmentWorkbench');
  private readonly jsonl = new Map<string, JsonlDocumentValidator>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [this.collection];
  /** Incremented per validation so a slow result never overwrites a newer one. */
  private readonly generation = new Map<string, number>();

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.onClose(d)),
    );
    const watcher = vscode.workspace.createFileSystemWatcher(`**/{${allGlobNames()}}`);
    this.disposables.push(
      watcher,
      watcher.onDidChange((u) => { void this.validateClosedFile(u); this.revalidateDependents(u); }),
      watcher.onDidCreate((u) => { void this.validateClosedFile(u); this.revalidateDependents(u); }),
      watcher.onDidDelete((u) => { this.collection.delete(u); this.revalidateDependents(u); }),
      vscode.workspace.onDidSaveTextDocument((d) => this.revalidateDependents(d.uri)),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  /** Validates every dataset file in the workspace that is not open in an editor. */
  async validateWorkspace(): Promise<number> {
    const patterns = Object.values(FILE_KIND_GLOBS).flat();
    const uris = await vscode.workspace.findFiles(`{${patterns.join(',')}}`, '{**/node_modules/**,**/results/**}', 5000);
    await Promise.all(uris.map((u) => this.validateClosedFile(u)));
    return uris.length;
  }

  private isOpen(uri: vscode.Uri): boolean {
    return vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString());
  }

  private async validateClosedFile(uri: vscode.Uri): Promise<void> {
    if (uri.scheme !== 'file' || this.isOpen(uri) || !detectKind(uri.fsPath)) return;
    try {
      const diagnostics = await validateFile(uri.fsPath);
      if (!this.isOpen(uri)) this.collection.set(uri, diagnostics.map(toVsDiagnostic));
    } catch (err) {
      this.log.warn(`could not validate ${uri.fsPath}: ${String(err)}`);
    }
  }

  /**
   * A roster or personas file changed on disk: the bench files beside it check their models and
   * personas against it, so they are validated again (open ones from their buffer).
   */
  private revalidateDependents(uri: vscode.Uri): void {
    const kind = detectKind(uri.fsPath);
    if (uri.scheme !== 'file' || (kind !== 'models' && kind !== 'personas')) return;
    const dir = dirname(uri.fsPath);
    for (const d of vscode.workspace.textDocuments) if (detectKind(d.fileName) === 'bench' && dirname(d.fileName) === dir) this.schedule(d, 0);
    void vscode.workspace.findFiles(new vscode.RelativePattern(dir, '*.bench.{yaml,yml}'), null, 200).then(
      (benches) => Promise.all(benches.map((b) => this.validateClosedFile(b))),
      (err: unknown) => this.log.warn(`could not list bench files beside ${uri.fsPath}: ${String(err)}`),
    );
  }

  private onChange(e: vscode.TextDocumentChangeEvent): void {
    const doc = e.document;
    if (!detectKind(doc.fileName) || e.contentChanges.length === 0) return;
    const v = this.jsonl.get(doc.uri.toString());
    if (v) {
      // Changes arrive in document order of application; apply each to the line cache.
      for (const c of e.contentChanges) {
        v.applyChange(c.range.start.line, c.range.start.character, c.range.end.line, c.range.end.character, c.text);
      }
      if (v.lineCount !== doc.lineCount) v.setText(doc.getText()); // never drift from the buffer
    }
    this.schedule(doc, readConfig().debounceMs);
  }

  private onClose(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    this.jsonl.delete(key);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    // A closed file keeps its problems, now from what is on disk.
    void this.validateClosedFile(doc.uri);
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!detectKind(doc.fileName) || doc.uri.scheme === 'output') return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => { this.timers.delete(key); void this.validateDocument(doc); }, delay));
  }

  /** The JSONL line cache of an open document (the outline reads case ids from it). */
  jsonlValidator(doc: vscode.TextDocument): JsonlDocumentValidator {
    const key = doc.uri.toString();
    let v = this.jsonl.get(key);
    if (!v) {
      v = new JsonlDocumentValidator(doc.fileName);
      v.setText(doc.getText());
      this.jsonl.set(key, v);
    }
    return v;
  }

  async validateDocument(doc: vscode.TextDocument): Promise<void> {
    const key = doc.uri.toString();
    const gen = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, gen);
    const kind = detectKind(doc.fileName);
    try {
      const diagnostics = kind === 'cases-jsonl' ? this.jsonlValidator(doc).validate() : await validateText(doc.fileName, doc.getText(), kind);
      if (this.generation.get(key) === gen && !doc.isClosed) this.collection.set(doc.uri, diagnostics.map(toVsDiagnostic));
    } catch (err) {
      this.log.error(`validation failed for ${doc.fileName}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}

function allGlobNames(): string {
  return Object.values(FILE_KIND_GLOBS).flat().map((g) => g.replace(/^\*\*\//, '')).join(',');
}
