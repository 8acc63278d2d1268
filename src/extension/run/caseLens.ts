import * as vscode from 'vscode';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { detectKind, loadBenchFile, parseYaml, RUN_FILES, type ResultRow, type RunInput } from '../../core';
import { runEnvironment } from '../config';
import type { RunManager } from './runManager';
import { askRunInput, resolveOrReport } from './commands';

interface CaseResult { label: string; text: string; safe: boolean | null }

/** The id of each case in a cases file, with the 0-based line it starts on. */
function caseAnchors(doc: vscode.TextDocument): { id: string; line: number }[] {
  const kind = detectKind(doc.fileName);
  const out: { id: string; line: number }[] = [];
  if (kind === 'cases-jsonl') {
    for (let i = 0; i < doc.lineCount; i++) {
      const m = /"id"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(doc.lineAt(i).text);
      if (m) { try { out.push({ id: JSON.parse(`"${m[1]!}"`) as string, line: i }); } catch { /* not a valid string: validation reports it */ } }
    }
  } else if (kind === 'cases-yaml') {
    const parsed = parseYaml(doc.fileName, doc.getText());
    const items = (parsed.doc?.contents as { items?: { range?: [number, number, number]; get?: (k: string) => unknown }[] } | null)?.items ?? [];
    for (const item of items) {
      const id = item.get?.('id');
      if (typeof id === 'string' && item.range) out.push({ id, line: doc.positionAt(item.range[0]).line });
    }
  }
  return out;
}

/** A bench file of the workspace that runs this dataset: its models, personas and judge are used. */
async function benchFor(datasetPath: string): Promise<{ file: string; models: string[]; personas: string[]; judge: string; modelsFile?: string; personasFile?: string } | undefined> {
  const files = await vscode.workspace.findFiles('**/*.bench.{yaml,yml}', '{**/node_modules/**,**/results/**}', 200);
  for (const f of files) {
    const { bench } = await loadBenchFile(f.fsPath);
    if (!bench) continue;
    const dir = dirname(f.fsPath);
    if (!bench.datasets.some((d) => resolve(dir, d) === datasetPath)) continue;
    const near = (name?: string, fallback?: string) => { const p = name ? resolve(dir, name) : fallback ? join(dir, fallback) : undefined; return p && existsSync(p) ? p : undefined; };
    const modelsFile = near(bench.models_file, 'models.yaml');
    const personasFile = near(bench.personas_file, 'personas.yaml');
    return { file: f.fsPath, models: bench.models, personas: bench.personas, judge: bench.judge_model, ...(modelsFile ? { modelsFile } : {}), ...(personasFile ? { personasFile } : {}) };
  }
  return undefined;
}

function safeRunId(id: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `case_${id.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80)}_${stamp}`;
}

/**
 * "Run this case" above every case of a cases file: runs it against the bench file's models and
 * personas (or ones picked), then shows each verdict in a lens above the case, the answer in its
 * tooltip — without leaving the file. Model output is shown as text only.
 */
export class CaseRunLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly results = new Map<string, { runDir: string; results: CaseResult[] }>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly manager: RunManager) {}

  refresh(): void { this.changed.fire(); }

  private key(uri: vscode.Uri, id: string): string { return `${uri.toString()}#${id}`; }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted) return [];
    return caseAnchors(doc).flatMap(({ id, line }) => {
      const range = new vscode.Range(line, 0, line, 0);
      const lenses = [new vscode.CodeLens(range, { title: '$(play) Run this case', command: 'alignmentWorkbench.runCase', arguments: [doc.uri, id] })];
      const last = this.results.get(this.key(doc.uri, id));
      if (last) {
        // One lens per model × persona: visible above the case however long its line is; the
        // answer is in the tooltip (plain text), the results view one click away.
        for (const r of last.results) {
          const verdict = r.safe === null ? 'not judged' : r.safe ? '$(pass) safe' : '$(error) attack succeeded';
          lenses.push(new vscode.CodeLens(range, { title: `${r.label}: ${verdict}`, tooltip: r.text.slice(0, 2000), command: 'alignmentWorkbench.openResults', arguments: [vscode.Uri.file(last.runDir)] }));
        }
      }
      return lenses;
    });
  }

  async runCase(uri: vscode.Uri, id: string): Promise<void> {
    const bench = await benchFor(uri.fsPath);
    let input: Omit<RunInput, 'cwd' | 'env'>;
    if (bench) input = { datasets: [uri.fsPath], models: bench.models, personas: bench.personas, judgeModel: bench.judge, ...(bench.modelsFile ? { modelsFile: bench.modelsFile } : {}), ...(bench.personasFile ? { personasFile: bench.personasFile } : {}) };
    else {
      const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? dirname(uri.fsPath);
      const asked = await askRunInput(root, uri.fsPath);
      if (!asked) return;
      input = asked;
    }
    const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? dirname(uri.fsPath);
    const cfg = await resolveOrReport({ ...input, caseIds: [id], runId: safeRunId(id), out: join(root, 'results'), cwd: root, env: runEnvironment() });
    if (!cfg) return; // run() asks for endpoint approval first
    const summary = await this.manager.run(cfg, `case ${id}`, { quiet: true });
    if (!summary) return;
    const rows = readRows(join(summary.runDir, RUN_FILES.partials));
    const results = rows.map((r): CaseResult => ({
      label: `${r.model_slug} · ${r.persona_slug}`,
      safe: r.attack_success === null ? null : !r.attack_success,
      text: r.error ? `error: ${r.error}` : `${r.attack_success === null ? 'not judged' : r.attack_success ? 'ATTACK SUCCEEDED' : 'safe'}${r.overall !== null ? `, overall ${r.overall.toFixed(2)}` : ''}\n\n${r.raw_candidate ?? ''}`,
    }));
    this.results.set(this.key(uri, id), { runDir: summary.runDir, results });
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The row that counts for each key of a run's partials.jsonl. */
function readRows(file: string): ResultRow[] {
  if (!existsSync(file)) return [];
  const byKey = new Map<string, ResultRow>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: ResultRow;
    try { r = JSON.parse(line) as ResultRow; } catch { continue; /* a torn last line: the run log says so */ }
    // partials.jsonl's rule: the last row without `error` counts, else the last row (an answer's
    // `pending` row is followed by its judged row).
    const prev = byKey.get(r.key);
    if (!prev || r.error === null || prev.error !== null) byKey.set(r.key, r);
  }
  return [...byKey.values()];
}
