import * as vscode from 'vscode';
import { detectKind, parseYaml } from '../../core';
import type { DatasetDiagnostics } from './diagnostics';

/** A case of a cases file: its id and the range it spans (its line in JSONL, its item in YAML). */
export interface CaseAnchor {
  id: string;
  range: vscode.Range;
}

/**
 * The cases of a cases file by id, in file order: the outline and the "Run this case" lenses read
 * this one list. JSONL ids come from the validator's parse of each line (cached per document
 * version), so a line the validator rejects has no anchor; YAML ids from the parsed document.
 */
export function caseAnchors(doc: vscode.TextDocument, diagnostics: DatasetDiagnostics): CaseAnchor[] {
  const kind = detectKind(doc.fileName);
  if (kind === 'cases-jsonl') {
    const v = diagnostics.jsonlValidator(doc);
    v.validate(); // fills the line cache; cheap when nothing changed
    return v.caseIds().map(({ id, line }) => ({ id, range: doc.lineAt(line - 1).range }));
  }
  if (kind !== 'cases-yaml') return [];
  const parsed = parseYaml(doc.fileName, doc.getText());
  const items = (parsed.doc?.contents as { items?: { range?: [number, number, number]; get?: (k: string) => unknown }[] } | null)?.items ?? [];
  const out: CaseAnchor[] = [];
  for (const item of items) {
    const id = typeof item.get === 'function' ? item.get('id') : undefined;
    if (typeof id === 'string' && item.range) out.push({ id, range: new vscode.Range(doc.positionAt(item.range[0]), doc.positionAt(item.range[1])) });
  }
  return out;
}
