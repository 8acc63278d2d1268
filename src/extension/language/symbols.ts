import * as vscode from 'vscode';
import { detectKind, parseYaml } from '../../core';
import type { DatasetDiagnostics } from './diagnostics';
import { caseAnchors } from './caseAnchors';

/** The outline: cases by id (JSONL and YAML, the same anchors as the case lenses), models by slug, personas by slug. */
export class DatasetSymbols implements vscode.DocumentSymbolProvider {
  constructor(private readonly diagnostics: DatasetDiagnostics) {}

  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] | undefined {
    const kind = detectKind(doc.fileName);
    if (kind === 'cases-jsonl' || kind === 'cases-yaml') {
      return caseAnchors(doc, this.diagnostics).map(({ id, range }) => new vscode.DocumentSymbol(
        id, kind === 'cases-jsonl' ? `line ${range.start.line + 1}` : 'case', vscode.SymbolKind.Object, range,
        kind === 'cases-jsonl' ? range : new vscode.Range(range.start, range.start),
      ));
    }
    if (kind !== 'models' && kind !== 'personas') return undefined;
    const parsed = parseYaml(doc.fileName, doc.getText());
    const contents = parsed.doc?.contents as { items?: unknown[] } | null | undefined;
    if (!contents?.items) return undefined;
    const toRange = (r: [number, number, number]) => new vscode.Range(doc.positionAt(r[0]), doc.positionAt(r[1]));
    const out: vscode.DocumentSymbol[] = [];
    if (kind === 'personas') {
      for (const pair of contents.items as { key?: { value?: unknown; range?: [number, number, number] }; value?: { range?: [number, number, number] } }[]) {
        if (!pair.key?.range) continue;
        const full = toRange([pair.key.range[0], pair.value?.range?.[1] ?? pair.key.range[1], 0]);
        out.push(new vscode.DocumentSymbol(String(pair.key.value), 'persona', vscode.SymbolKind.Class, full, toRange(pair.key.range)));
      }
      return out;
    }
    const items = (contents.items as { key?: { value?: unknown }; value?: { items?: unknown[] } }[]).find((p) => p.key?.value === 'models')?.value?.items ?? [];
    for (const item of items as { range?: [number, number, number]; get?: (k: string, keep?: boolean) => unknown }[]) {
      if (!item.range || typeof item.get !== 'function') continue;
      const name = item.get('slug');
      if (typeof name !== 'string') continue;
      const range = toRange(item.range);
      out.push(new vscode.DocumentSymbol(name, 'model', vscode.SymbolKind.Module, range, new vscode.Range(range.start, range.start)));
    }
    return out;
  }
}
