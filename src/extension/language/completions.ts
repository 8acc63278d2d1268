import * as vscode from 'vscode';
import { detectKind, fieldSnippet, jsonlCompletion, knownPersonaSlugs, yamlCompletion, type CompletionRequest, BUILTIN_PERSONAS } from '../../core';

/** Field names, enum values, persona slugs and `{{placeholders}}` in every dataset format. */
export class DatasetCompletions implements vscode.CompletionItemProvider {
  async provideCompletionItems(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.CompletionItem[] | undefined> {
    const kind = detectKind(doc.fileName);
    if (!kind) return undefined;
    let req: CompletionRequest;
    if (kind === 'cases-jsonl') req = jsonlCompletion(doc.lineAt(pos.line).text, pos.character);
    else {
      const lines: string[] = [];
      const first = Math.max(0, pos.line - 500);
      for (let i = first; i <= Math.min(doc.lineCount - 1, pos.line + 200); i++) lines.push(doc.lineAt(i).text);
      req = yamlCompletion(kind, lines, pos.line - first, pos.character);
    }
    if (!req) return undefined;
    const wordRange = doc.getWordRangeAtPosition(pos, /[\w-]+/);
    switch (req.kind) {
      case 'fields':
        return req.fields.map((f, i) => {
          const item = new vscode.CompletionItem(f.name, vscode.CompletionItemKind.Field);
          item.detail = f.required ? 'required' : 'optional';
          item.documentation = new vscode.MarkdownString(f.description);
          item.sortText = `${f.required ? 0 : 1}${String(i).padStart(3, '0')}`;
          // The key and a value of the field's type, quotes included, the cursor in the value.
          item.insertText = new vscode.SnippetString(fieldSnippet(f, kind === 'cases-jsonl' ? 'json' : 'yaml', { keyQuoted: req.quoted }));
          if (kind === 'cases-jsonl' && req.quoted) {
            // From after the key's opening quote to past the quote the editor closed for it.
            const text = doc.lineAt(pos.line).text;
            const open = text.lastIndexOf('"', pos.character - 1);
            const closing = text[pos.character] === '"' || (wordRange && text[wordRange.end.character] === '"');
            const end = wordRange && wordRange.end.isAfter(pos) ? wordRange.end.character : pos.character;
            item.range = new vscode.Range(pos.line, open + 1, pos.line, closing ? end + 1 : end);
            item.filterText = f.name;
          } else if (wordRange) item.range = wordRange;
          return item;
        });
      case 'values':
        return req.values.map((v) => {
          const item = new vscode.CompletionItem(v, vscode.CompletionItemKind.EnumMember);
          item.detail = req.what;
          item.insertText = req.quoted || kind !== 'cases-jsonl' ? v : `"${v}"`;
          if (wordRange) item.range = wordRange;
          return item;
        });
      case 'placeholders': {
        const line = doc.lineAt(pos.line).text.slice(0, pos.character);
        const open = line.lastIndexOf('{{');
        const range = new vscode.Range(pos.line, open, pos.line, pos.character);
        const after = doc.lineAt(pos.line).text.slice(pos.character);
        const closing = after.startsWith('}}') ? '' : '}}';
        return req.names.map((n) => {
          const item = new vscode.CompletionItem(`{{${n}}}`, vscode.CompletionItemKind.Variable);
          item.insertText = `{{${n}${closing}`;
          item.filterText = `{{${n}`;
          item.range = range;
          item.detail = 'filled by the runner';
          return item;
        });
      }
      case 'personas': {
        const { slugs } = await knownPersonaSlugs(doc.fileName);
        return [...slugs].map((s) => {
          const item = new vscode.CompletionItem(s, vscode.CompletionItemKind.Value);
          item.detail = s in BUILTIN_PERSONAS ? 'built-in persona' : 'persona from personas.yaml';
          const builtin = BUILTIN_PERSONAS[s];
          if (builtin) item.documentation = builtin.description;
          if (wordRange) item.range = wordRange;
          return item;
        });
      }
    }
  }
}
