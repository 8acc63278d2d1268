import { DiagnosticCollector, type Diagnostic } from '../diagnostics';
import { checkCaseLine, idRangeInLine, type LineResult } from './jsonlLine';
import { readLines, MAX_LINE_BYTES } from './lineReader';

function lineDiagnostics(file: string, line: number, result: LineResult): Diagnostic[] {
  return result.problems.map((p) => ({ file, line, column: p.column, endLine: line, endColumn: p.endColumn, severity: p.severity, message: p.message, rule: p.rule, ...(p.data ? { data: p.data } : {}) }));
}

function duplicateDiagnostic(file: string, line: number, text: string, id: string, firstLine: number): Diagnostic {
  const r = idRangeInLine(text);
  return { file, line, column: r.column, endLine: line, endColumn: r.endColumn, severity: 'error', rule: 'duplicate-id', message: `duplicate id "${id}": first used on line ${firstLine}`, data: { id, firstLine } };
}

export interface JsonlCase<T = unknown> { line: number; value: T }

/**
 * Validates a cases JSONL file as a stream. With `onCase`, each valid case is handed over with
 * its line number (the engine loads data this way); diagnostics are returned either way.
 */
export async function validateCasesJsonlFile(
  file: string,
  opts: { displayName?: string; onCase?: (c: JsonlCase) => void; signal?: AbortSignal } = {},
): Promise<Diagnostic[]> {
  const name = opts.displayName ?? file;
  const diagnostics = new DiagnosticCollector();
  const firstLineOfId = new Map<string, number>();
  let cases = 0;
  for await (const ev of readLines(file, opts.signal ? { signal: opts.signal } : {})) {
    if (ev.kind === 'bad-encoding') {
      diagnostics.add({ file: name, line: ev.line, column: ev.column, endLine: ev.line, endColumn: ev.column + 1, severity: 'error', rule: 'encoding', message: `invalid UTF-8 at byte ${ev.byteOffset}: save the file as UTF-8` });
      continue;
    }
    if (ev.kind === 'too-long') {
      diagnostics.add({ file: name, line: ev.line, column: 1, endLine: ev.line, endColumn: 2, severity: 'error', rule: 'line-too-long', message: `line is ${ev.bytes} bytes, over the ${MAX_LINE_BYTES / 1024 / 1024} MB limit for one case` });
      continue;
    }
    const { text, line } = ev;
    if (text.trim() === '') continue;
    const result = checkCaseLine(text, opts.onCase !== undefined);
    if (result.problems.length) diagnostics.addAll(lineDiagnostics(name, line, result));
    if (result.id !== undefined) {
      const first = firstLineOfId.get(result.id);
      if (first !== undefined) diagnostics.add(duplicateDiagnostic(name, line, text, result.id, first));
      else firstLineOfId.set(result.id, line);
    }
    if (result.value !== undefined && result.problems.every((p) => p.severity !== 'error')) {
      cases++;
      opts.onCase?.({ line, value: result.value });
    }
  }
  if (cases === 0 && firstLineOfId.size === 0 && diagnostics.size === 0) {
    diagnostics.add({ file: name, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'warning', rule: 'empty-file', message: 'the file has no cases' });
  }
  return diagnostics.result();
}

/**
 * Keeps per-line results of a JSONL document open in the editor so one edit re-checks only the
 * lines it touched; the duplicate-id pass runs over the cached ids.
 */
export class JsonlDocumentValidator {
  private lines: string[] = [];
  private results: (LineResult | undefined)[] = [];

  constructor(private readonly file: string) {}

  /** Replaces the whole text (on open); lines whose text did not change keep their result. */
  setText(text: string): void {
    const next = splitLines(text);
    const old = new Map<string, LineResult>();
    for (let i = 0; i < this.lines.length; i++) {
      const r = this.results[i];
      if (r) old.set(this.lines[i]!, r);
    }
    this.lines = next;
    this.results = next.map((l) => old.get(l));
  }

  /**
   * Applies one edit: lines `startLine..endLine` (0-based, inclusive) become the lines of
   * `newText` spliced with the untouched text around the edit, as VS Code reports changes.
   */
  applyChange(startLine: number, startCharacter: number, endLine: number, endCharacter: number, newText: string): void {
    const before = (this.lines[startLine] ?? '').slice(0, startCharacter);
    const after = (this.lines[endLine] ?? '').slice(endCharacter);
    const replaced = splitLines(before + newText + after);
    const removed = endLine - startLine + 1;
    if (replaced.length <= 10_000) {
      this.lines.splice(startLine, removed, ...replaced);
      this.results.splice(startLine, removed, ...replaced.map(() => undefined));
      return;
    }
    // A paste of many lines is not spread into call arguments (that overflows the stack): rebuilt instead.
    this.lines = this.lines.slice(0, startLine).concat(replaced, this.lines.slice(startLine + removed));
    this.results = this.results.slice(0, startLine).concat(new Array<LineResult | undefined>(replaced.length).fill(undefined), this.results.slice(startLine + removed));
  }

  get lineCount(): number { return this.lines.length; }

  /** Checks what is not cached yet and returns all diagnostics of the document. */
  validate(): Diagnostic[] {
    const out = new DiagnosticCollector();
    const firstLineOfId = new Map<string, number>();
    for (let i = 0; i < this.lines.length; i++) {
      const text = this.lines[i]!;
      if (text.trim() === '') continue;
      let r = this.results[i];
      if (!r) { r = checkCaseLine(text); this.results[i] = r; }
      if (r.problems.length) out.addAll(lineDiagnostics(this.file, i + 1, r));
      if (r.id !== undefined) {
        const first = firstLineOfId.get(r.id);
        if (first !== undefined) out.add(duplicateDiagnostic(this.file, i + 1, text, r.id, first));
        else firstLineOfId.set(r.id, i + 1);
      }
    }
    return out.result();
  }

  /** Case ids with their 1-based line, for the outline. */
  caseIds(): { id: string; line: number }[] {
    const out: { id: string; line: number }[] = [];
    for (let i = 0; i < this.lines.length; i++) {
      const id = this.results[i]?.id;
      if (id !== undefined) out.push({ id, line: i + 1 });
    }
    return out;
  }
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  if (lines.length && lines[0]!.charCodeAt(0) === 0xfeff) lines[0] = lines[0]!.slice(1);
  return lines;
}
