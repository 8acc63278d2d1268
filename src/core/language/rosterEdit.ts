import { isSeq, parseDocument, type YAMLSeq } from 'yaml';

/** A text edit: replace `length` characters at `offset` with `text`. */
export interface TextEdit {
  offset: number;
  length: number;
  text: string;
}

const plain = (s: string) => (/^[A-Za-z0-9][A-Za-z0-9._/@+-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|~)$/i.test(s) && !/^[0-9.+-]+$/.test(s) ? s : JSON.stringify(s));

/** The `concurrency` a new roster entry gets (required by the schema). */
const NEW_MODEL_CONCURRENCY = 4;

/**
 * The edit that adds `slug` to a `models.yaml` roster as the last entry: on the default provider
 * (no `provider` nor `base_url`, the model name is the slug), in the file's own style — a block
 * list item at the items' indentation, an item of a flow list, or a new `models:` list.
 */
export function addModelToRoster(text: string, slug: string, concurrency = NEW_MODEL_CONCURRENCY): TextEdit {
  const doc = parseDocument(text, { keepSourceTokens: false });
  const node = doc.errors.length ? undefined : doc.get('models', true);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (node && isSeq(node) && node.range) {
    const seq = node as YAMLSeq;
    if (seq.flow) {
      // `models: []` or `models: [{...}]`: one more item before the closing bracket.
      const close = text.lastIndexOf(']', seq.range![1]);
      const item = `{ slug: ${plain(slug)}, concurrency: ${concurrency} }`;
      return { offset: close, length: 0, text: `${seq.items.length ? ', ' : ''}${item}` };
    }
    const first = seq.items[0] as { range?: [number, number, number] } | undefined;
    let dash = '  ';
    if (first?.range) {
      const lineStart = text.lastIndexOf('\n', first.range[0] - 1) + 1;
      dash = /^[ \t]*/.exec(text.slice(lineStart))![0];
    }
    const entry = [`${dash}- slug: ${plain(slug)}`, `${dash}  concurrency: ${concurrency}`].join(eol);
    // After the last item's content (before trailing comments and blank lines).
    const last = seq.items[seq.items.length - 1] as { range?: [number, number, number] } | undefined;
    const end = last?.range ? last.range[1] : seq.range![1];
    const at = text.slice(0, end).replace(/[ \t\r\n]+$/, '').length;
    return { offset: at, length: 0, text: `${eol}${entry}` };
  }
  // `models:` with nothing after it yet: the first item under it.
  const empty = /^models[ \t]*:[ \t]*(?:#.*)?$/m.exec(text);
  if (empty) return { offset: empty.index + empty[0].length, length: 0, text: `${eol}  - slug: ${plain(slug)}${eol}    concurrency: ${concurrency}` };
  // No roster list yet: append one.
  const sep = text === '' || text.endsWith('\n') ? '' : eol;
  return { offset: text.length, length: 0, text: `${sep}models:${eol}  - slug: ${plain(slug)}${eol}    concurrency: ${concurrency}${eol}` };
}

/** 0-based line and character of an offset in `text` (UTF-16, as editors count). */
export function positionOf(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}

/** Applies an edit to a text (for tests and previews). */
export function applyEdit(text: string, e: TextEdit): string {
  return text.slice(0, e.offset) + e.text + text.slice(e.offset + e.length);
}
