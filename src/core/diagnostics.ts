/** Severity of a validation finding, as shown in the Problems panel and by `awb validate`. */
export type Severity = 'error' | 'warning' | 'info';

/**
 * One problem found in a user's file. Lines and columns are 1-based; the end position is
 * exclusive (the column just after the last offending character), so a one-character range at
 * column 5 has `endColumn` 6.
 */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  message: string;
  /** Stable rule id, e.g. `json-syntax`, `schema`, `duplicate-id`. */
  rule: string;
  /** Machine-readable details for quick fixes (e.g. the missing field's name). */
  data?: Record<string, unknown>;
}

/** A location inside a file without the file name, used while parsing. */
export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export function spanDiagnostic(
  file: string,
  span: Span,
  severity: Severity,
  rule: string,
  message: string,
  data?: Record<string, unknown>,
): Diagnostic {
  return { file, ...span, severity, message, rule, ...(data ? { data } : {}) };
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity]++;
  return counts;
}

/** Orders diagnostics by file, then position, so output is stable. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  );
}
