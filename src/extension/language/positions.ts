import * as vscode from 'vscode';
import type { Diagnostic } from '../../core';

/** Core diagnostics are 1-based with an exclusive end; VS Code ranges are 0-based. */
function toRange(d: Pick<Diagnostic, 'line' | 'column' | 'endLine' | 'endColumn'>): vscode.Range {
  const start = new vscode.Position(Math.max(d.line - 1, 0), Math.max(d.column - 1, 0));
  let end = new vscode.Position(Math.max(d.endLine - 1, 0), Math.max(d.endColumn - 1, 0));
  if (end.isBefore(start) || end.isEqual(start)) end = start.translate(0, 1);
  return new vscode.Range(start, end);
}

const SEVERITY: Record<Diagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export const DIAGNOSTIC_SOURCE = 'Alignment Workbench';

export function toVsDiagnostic(d: Diagnostic): vscode.Diagnostic {
  const v = new vscode.Diagnostic(toRange(d), d.message, SEVERITY[d.severity]);
  v.source = DIAGNOSTIC_SOURCE;
  v.code = d.rule;
  // Quick fixes read the details back (field names, ids) without re-validating.
  (v as vscode.Diagnostic & { awbData?: unknown }).awbData = d.data;
  return v;
}

export function diagnosticData(d: vscode.Diagnostic): Record<string, unknown> | undefined {
  return (d as vscode.Diagnostic & { awbData?: Record<string, unknown> }).awbData;
}
