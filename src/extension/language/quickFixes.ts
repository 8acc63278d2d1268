import * as vscode from 'vscode';
import { parseTree } from 'jsonc-parser';
import { readFileSync } from 'node:fs';
import { addModelToRoster, defaultFieldValue, detectKind, JUDGE_PLACEHOLDERS, positionOf, uniqueId } from '../../core';
import { DIAGNOSTIC_SOURCE, diagnosticData } from './positions';
import type { CommandId } from '../commands';

/** Quick fixes: rename a duplicate id, add a missing required field, fix a card's size, a placeholder, add a model to the roster. */
export class DatasetQuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const kind = detectKind(doc.fileName);
    if (!kind) return [];
    const actions: vscode.CodeAction[] = [];
    for (const d of ctx.diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE) continue;
      const data = diagnosticData(d) ?? {};
      const fix = (title: string, edit: vscode.WorkspaceEdit, preferred = true) => {
        const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        a.edit = edit;
        a.diagnostics = [d];
        a.isPreferred = preferred;
        actions.push(a);
      };
      if (d.code === 'duplicate-id' && typeof data.id === 'string') {
        const next = uniqueId(data.id, collectIds(doc));
        const edit = new vscode.WorkspaceEdit();
        edit.replace(doc.uri, d.range, kind === 'cases-jsonl' ? JSON.stringify(next) : next);
        fix(`Rename to "${next}"`, edit);
      } else if (d.code === 'missing-field' && typeof data.field === 'string') {
        const edit = kind === 'cases-jsonl' ? addJsonlField(doc, d.range.start.line, data.field) : addYamlField(doc, d.range.start, data.field);
        if (edit) fix(`Add missing field "${data.field}"`, edit);
      } else if (d.code === 'size-mismatch' && typeof data.actual === 'number') {
        const edit = new vscode.WorkspaceEdit();
        edit.replace(doc.uri, d.range, String(data.actual));
        fix(`Set size to ${data.actual}`, edit);
      } else if (d.code === 'unknown-model' && typeof data.slug === 'string' && typeof data.modelsFile === 'string') {
        const a = addToRosterAction(data.slug, data.modelsFile);
        if (a) {
          a.diagnostics = [d];
          a.isPreferred = true;
          actions.push(a);
        }
      } else if (d.code === 'unknown-placeholder' && typeof data.placeholder === 'string') {
        const best = closest(data.placeholder, JUDGE_PLACEHOLDERS);
        if (best) {
          const edit = new vscode.WorkspaceEdit();
          edit.replace(doc.uri, d.range, `{{${best}}}`);
          fix(`Change to {{${best}}}`, edit);
        }
      }
    }
    return actions;
  }
}

/** Command run after the roster edit: saves models.yaml (a run reads it from disk). */
export const SAVE_ROSTER_COMMAND = 'alignmentWorkbench.saveRosterAfterFix' satisfies CommandId;

/**
 * "Add "m" to models.yaml": a roster entry on the default provider, appended in the file's style.
 * The file is saved afterwards unless it already had unsaved changes of the user's.
 */
function addToRosterAction(slug: string, modelsFile: string): vscode.CodeAction | undefined {
  const uri = vscode.Uri.file(modelsFile);
  const open = vscode.workspace.textDocuments.find((t) => t.uri.toString() === uri.toString());
  let text: string;
  try { text = open ? open.getText() : readFileSync(modelsFile, 'utf8'); } catch { return undefined; }
  const e = addModelToRoster(text, slug);
  const start = positionOf(text, e.offset);
  const end = positionOf(text, e.offset + e.length);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(start.line, start.character, end.line, end.character), e.text);
  const name = modelsFile.split(/[\\/]/).pop()!;
  const a = new vscode.CodeAction(`Add "${slug}" to ${name}`, vscode.CodeActionKind.QuickFix);
  a.edit = edit;
  if (!open?.isDirty) a.command = { command: SAVE_ROSTER_COMMAND, title: `Save ${name}`, arguments: [uri] };
  return a;
}

function collectIds(doc: vscode.TextDocument): Set<string> {
  const ids = new Set<string>();
  const re = /"?id"?\s*:\s*"?([^",}\n]+)"?/g;
  for (const m of doc.getText().matchAll(re)) ids.add(m[1]!.trim());
  return ids;
}

function addJsonlField(doc: vscode.TextDocument, line: number, field: string): vscode.WorkspaceEdit | undefined {
  const text = doc.lineAt(line).text;
  const tree = parseTree(text);
  if (!tree || tree.type !== 'object') return undefined;
  const edit = new vscode.WorkspaceEdit();
  const value = JSON.stringify(defaultFieldValue(field));
  const hasProps = (tree.children?.length ?? 0) > 0;
  // Written in the line's own style: compact (`"a":1,"b":2`) or spaced (`"a": 1, "b": 2`).
  const compact = !/":\s|,\s+"/.test(text);
  // Insert before the closing brace so the existing fields keep their order.
  const close = tree.offset + tree.length - 1;
  edit.insert(doc.uri, new vscode.Position(line, close), `${hasProps ? (compact ? ',' : ', ') : ''}"${field}":${compact ? '' : ' '}${value}`);
  return edit;
}

function addYamlField(doc: vscode.TextDocument, at: vscode.Position, field: string): vscode.WorkspaceEdit | undefined {
  const text = doc.lineAt(at.line).text;
  const m = /^(\s*)(-\s+)?/.exec(text)!;
  const indent = ' '.repeat(m[1]!.length + (m[2]?.length ?? 0));
  const value = defaultFieldValue(field);
  const rendered = Array.isArray(value)
    ? value.length === 0 ? ' []' : '\n' + value.map((v) => `${indent}  - ${Object.entries(v as object).map(([k, x], i) => `${i ? indent + '    ' : ''}${k}: ${JSON.stringify(x)}`).join('\n')}`).join('\n')
    : ` ${JSON.stringify(value)}`;
  const edit = new vscode.WorkspaceEdit();
  edit.insert(doc.uri, new vscode.Position(at.line + 1, 0), `${indent}${field}:${rendered}\n`);
  return edit;
}

function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const o of options) {
    const s = levenshtein(word, o);
    if (s < bestScore) { best = o; bestScore = s; }
  }
  return bestScore <= Math.max(3, Math.floor(word.length / 2)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
