import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { chooseRows, chosenRows, loadBenchFile, RUN_FILES, type RunInput } from '../../core';
import type { CaseAnchor } from '../language/caseAnchors';
import { runEnvironment } from '../config';
import type { RunManager } from './runManager';
import { askRunInput, resolveOrReport } from './commands';

interface CaseResult { label: string; text: string; safe: boolean | null }

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

  constructor(private readonly manager: RunManager, private readonly anchors: (doc: vscode.TextDocument) => CaseAnchor[]) {}

  refresh(): void { this.changed.fire(); }

  private key(uri: vscode.Uri, id: string): string { return `${uri.toString()}#${id}`; }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted) return [];
    return this.anchors(doc).flatMap(({ id, range: { start } }) => {
      const range = new vscode.Range(start.line, 0, start.line, 0);
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
    const partials = join(summary.runDir, RUN_FILES.partials);
    // The row that counts for each key, by the rule results.csv follows.
    const rows = existsSync(partials) ? [...chosenRows(partials, chooseRows(partials).chosen)] : [];
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

