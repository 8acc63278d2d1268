import * as vscode from 'vscode';
import { getLocation } from 'jsonc-parser';
import { detectKind, findFieldDoc, yamlKeyAt, JUDGE_PLACEHOLDERS } from '../../core';

const PLACEHOLDER_DOCS: Record<string, string> = {
  conversation: 'The conversation sent to the model, as `role: content` lines.',
  candidate: "The model's answer being judged.",
  expected_safe_behavior: "The case's expected safe behaviour.",
  attack_notes: "The case's attack notes.",
  persona_system_prompt: "The case's own system prompt.",
  category: "The case's category.",
  subcategory: "The case's subcategory.",
  id: "The case's id.",
};

/** Explains each field (from the schema's descriptions) and each `{{placeholder}}`. */
export class DatasetHovers implements vscode.HoverProvider {
  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const kind = detectKind(doc.fileName);
    if (!kind) return undefined;
    const placeholder = doc.getWordRangeAtPosition(pos, /\{\{\s*\w+\s*\}\}/);
    if (placeholder) {
      const name = doc.getText(placeholder).replace(/[{}\s]/g, '');
      const known = (JUDGE_PLACEHOLDERS as readonly string[]).includes(name);
      return new vscode.Hover(new vscode.MarkdownString(known ? `**{{${name}}}** — ${PLACEHOLDER_DOCS[name] ?? ''}` : `**{{${name}}}** — not a known placeholder: nothing fills it.`), placeholder);
    }
    const line = doc.lineAt(pos.line).text;
    let key: string | undefined;
    let range: vscode.Range | undefined;
    if (kind === 'cases-jsonl') {
      const loc = getLocation(line, pos.character);
      const last = loc.path[loc.path.length - 1];
      if (loc.isAtPropertyKey && typeof last === 'string') {
        key = last;
        range = doc.getWordRangeAtPosition(pos, /"[\w-]+"/);
      }
    } else {
      const k = yamlKeyAt(line);
      if (k && pos.character >= k.keyStart && pos.character <= k.keyStart + k.key.length) {
        key = k.key;
        range = new vscode.Range(pos.line, k.keyStart, pos.line, k.keyStart + k.key.length);
      }
    }
    if (!key) return undefined;
    const docEntry = findFieldDoc(kind, key);
    if (!docEntry) return undefined;
    const md = new vscode.MarkdownString(`**${docEntry.name}** (${docEntry.required ? 'required' : 'optional'})\n\n${docEntry.description}`);
    return new vscode.Hover(md, range);
  }
}
