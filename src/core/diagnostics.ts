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


export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) {
    // The closing "… and N more" diagnostic counts what it stands for.
    const omitted = d.rule === TOO_MANY_PROBLEMS ? (d.data?.omitted as Record<Severity, number> | undefined) : undefined;
    if (omitted) for (const s of ['error', 'warning', 'info'] as const) counts[s] += omitted[s] ?? 0;
    else counts[d.severity]++;
  }
  return counts;
}

/** Orders diagnostics by file, then position, so output is stable. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  );
}

/** Most diagnostics kept for one file; the rest are counted in one closing diagnostic. */
const MAX_DIAGNOSTICS_PER_FILE = 1000;

/** Rule of the diagnostic that stands for the ones left out. */
const TOO_MANY_PROBLEMS = 'too-many-problems';

/**
 * Collects one file's diagnostics, keeping the first `max` and counting the rest by severity, so a
 * file with a million bad lines costs a thousand diagnostics, not a million.
 */
export class DiagnosticCollector {
  private readonly kept: Diagnostic[] = [];
  private readonly omitted: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  private firstOmitted: Diagnostic | undefined;

  constructor(private readonly max = MAX_DIAGNOSTICS_PER_FILE) {}

  add(d: Diagnostic): void {
    if (this.kept.length < this.max) { this.kept.push(d); return; }
    this.omitted[d.severity]++;
    this.firstOmitted ??= d;
  }

  addAll(ds: Iterable<Diagnostic>): void {
    for (const d of ds) this.add(d);
  }

  get size(): number { return this.kept.length; }

  /** The kept diagnostics, then (when any were left out) one "… and N more" diagnostic. */
  result(): Diagnostic[] {
    const first = this.firstOmitted;
    if (!first) return this.kept;
    const o = this.omitted;
    const n = o.error + o.warning + o.info;
    const parts = (['error', 'warning', 'info'] as const).filter((s) => o[s] > 0).map((s) => `${o[s]} ${s === 'info' ? 'note' : s}${o[s] === 1 ? '' : 's'}`);
    const severity: Severity = o.error ? 'error' : o.warning ? 'warning' : 'info';
    return [...this.kept, {
      file: first.file, line: first.line, column: first.column, endLine: first.line, endColumn: first.column + 1, severity, rule: TOO_MANY_PROBLEMS,
      message: `… and ${n} more problem${n === 1 ? '' : 's'} from here on (${parts.join(', ')}), not listed: only the first ${this.max} of a file are`,
      data: { omitted: { ...o } },
    }];
  }
}

/** The first `max` diagnostics of each file, the rest of a file counted in one closing diagnostic (keeps order). */
export function capPerFile(diagnostics: readonly Diagnostic[], max = MAX_DIAGNOSTICS_PER_FILE): Diagnostic[] {
  const byFile = new Map<string, DiagnosticCollector>();
  for (const d of diagnostics) {
    let c = byFile.get(d.file);
    if (!c) { c = new DiagnosticCollector(max); byFile.set(d.file, c); }
    c.add(d);
  }
  if ([...byFile.values()].every((c) => c.size < max)) return diagnostics as Diagnostic[];
  const out: Diagnostic[] = [];
  for (const c of byFile.values()) appendAll(out, c.result());
  return out;
}

/** `target.push(...source)` without spreading: safe for arrays of any length. */
export function appendAll<T>(target: T[], source: Iterable<T>): T[] {
  for (const x of source) target.push(x);
  return target;
}
