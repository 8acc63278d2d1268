import * as vscode from 'vscode';
import { detectKind, parseYaml } from '../../core';
import type { DatasetDiagnostics } from './diagnostics';

/** The outline: cases by id (JSONL and YAML), models by slug, personas by slug. */
export class DatasetSymbols implements vscode.DocumentSymbolProvider {
  constructor(private readonly diagnostics: DatasetDiagnostics) {}

  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] | undefined {
    const kind = detectKind(doc.fileName);
    if (kind === 'cases-jsonl') {
      const v = this.diagnostics.jsonlValidator(doc);
      v.validate(); // fills the line cache; cheap when nothing changed
      return v.caseIds().map(({ id, line }) => {
        const range = doc.lineAt(line - 1).range;
        return new vscode.DocumentSymbol(id, `line ${line}`, vscode.SymbolKind.Object, range, range);
      });
    }
    if (kind !== 'cases-yaml' && kind !== 'models' && kind !== 'personas') return undefined;
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
    const items = kind === 'models'
      ? ((contents.items as { key?: { value?: unknown }; value?: { items?: unknown[] } }[]).find((p) => p.key?.value === 'models')?.value?.items ?? [])
      : contents.items;
    for (const item of items as { range?: [number, number, number]; get?: (k: string, keep?: boolean) => unknown }[]) {
      if (!item.range || typeof item.get !== 'function') continue;
      const name = item.get(kind === 'models' ? 'slug' : 'id');
      if (typeof name !== 'string') continue;
      const range = toRange(item.range);
      out.push(new vscode.DocumentSymbol(name, kind === 'models' ? 'model' : 'case', kind === 'models' ? vscode.SymbolKind.Module : vscode.SymbolKind.Object, range, new vscode.Range(range.start, range.start)));
    }
    return out;
  }
}
