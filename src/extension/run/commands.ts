import * as vscode from 'vscode';
import { basename, dirname, join, relative } from 'node:path';
import { existsSync } from 'node:fs';
import {
  BUILTIN_PERSONAS, DataError, describeEndpoints, detectKind, loadModelsFile, loadPersonas, readRunJson, resolveRunConfig, redact,
  type ResolvedRunConfig, type RunInput,
} from '../../core';
import type { RunManager } from './runManager';
import type { KeyStore } from './secrets';
import { pickRun } from '../results/pickRun';
import { defineHandlers } from '../commands';
import { runEnvironment } from '../config';

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function toPath(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string' && arg) return arg;
  if (arg && typeof arg === 'object' && 'fsPath' in arg && typeof (arg as { fsPath: unknown }).fsPath === 'string') return (arg as { fsPath: string }).fsPath;
  if (arg && typeof arg === 'object' && 'runDir' in arg && typeof (arg as { runDir: unknown }).runDir === 'string') return (arg as { runDir: string }).runDir;
  return undefined;
}

async function pickMany(title: string, items: vscode.QuickPickItem[], preselect: (i: vscode.QuickPickItem) => boolean): Promise<string[] | undefined> {
  const picked = await vscode.window.showQuickPick(items.map((i) => ({ ...i, picked: preselect(i) })), { title, canPickMany: true, ignoreFocusOut: true });
  if (!picked || picked.length === 0) return undefined;
  return picked.map((p) => p.label);
}

/** Quick picks for a run with no bench file: dataset, models, personas and judge, with defaults. */
export async function askRunInput(root: string, dataset?: string): Promise<Omit<RunInput, 'cwd' | 'env'> | undefined> {
  let datasets = dataset ? [dataset] : undefined;
  if (!datasets) {
    const files = await vscode.workspace.findFiles('**/*.{cases.jsonl,cases.yaml,cases.yml,dataset.yaml,dataset.json}', '{**/node_modules/**,**/results/**}', 500);
    if (files.length === 0) { void vscode.window.showErrorMessage('Alignment Workbench: no *.cases.jsonl, *.cases.yaml or dataset card in this workspace.'); return undefined; }
    const picked = await pickMany('Run Benchmark (1/4): datasets', files.map((f) => ({ label: relative(root, f.fsPath) })), (_i) => files.length === 1);
    if (!picked) return undefined;
    datasets = picked.map((p) => join(root, p));
  }
  const modelsFile = ['models.yaml', 'models.yml'].map((f) => join(root, f)).find(existsSync);
  const roster = modelsFile ? (await loadModelsFile(modelsFile)).models ?? [] : [];
  const modelItems: vscode.QuickPickItem[] = roster.length
    ? roster.map((m) => ({ label: m.slug, description: `${m.provider ?? m.base_url ?? 'default provider'} · ${m.model ?? m.slug}` }))
    : [{ label: 'gpt-4.1-mini', description: 'default provider (OPENAI_BASE_URL / OpenAI)' }, { label: 'gpt-4.1', description: 'default provider' }];
  const models = await pickMany('Run Benchmark (2/4): models under test', modelItems, (i) => i === modelItems[0]);
  if (!models) return undefined;
  const personasFile = ['personas.yaml', 'personas.yml'].map((f) => join(root, f)).find(existsSync);
  const { personas } = await loadPersonas(personasFile);
  const personaItems = Object.entries(personas ?? BUILTIN_PERSONAS).map(([slug, p]) => ({ label: slug, description: p.description || p.name }));
  const chosenPersonas = await pickMany('Run Benchmark (3/4): personas', personaItems, (i) => i.label === 'default');
  if (!chosenPersonas) return undefined;
  const judge = await vscode.window.showInputBox({ title: 'Run Benchmark (4/4): judge model', value: 'gpt-5-mini', prompt: 'A slug from models.yaml or a model name on the default provider', ignoreFocusOut: true });
  if (!judge) return undefined;
  return { datasets, models, personas: chosenPersonas, judgeModel: judge, ...(modelsFile ? { modelsFile } : {}), ...(personasFile ? { personasFile } : {}) };
}

async function pickBenchFile(root: string): Promise<string | 'ask' | undefined> {
  const active = vscode.window.activeTextEditor?.document.fileName;
  if (active && detectKind(active) === 'bench') return active;
  const files = await vscode.workspace.findFiles('**/*.bench.{yaml,yml}', '{**/node_modules/**,**/results/**}', 200);
  const items: (vscode.QuickPickItem & { value: string })[] = [
    ...files.map((f) => ({ label: relative(root, f.fsPath), description: 'bench file', value: f.fsPath })),
    { label: '$(list-selection) Choose dataset, models and personas…', value: 'ask' },
  ];
  if (files.length === 0) return 'ask';
  const pick = await vscode.window.showQuickPick(items, { title: 'Run Benchmark', placeHolder: 'A bench file, or pick what to run', ignoreFocusOut: true });
  return pick?.value;
}

/** The output channel the run commands write to (set when they are registered). */
let runLog: vscode.LogOutputChannel | undefined;

/**
 * A run that cannot start: the whole reason goes to the log (a notification may cut a long one
 * off), the notification says the gist and offers Show Log; a data problem also opens its file.
 */
function reportCannotRun(err: unknown, what = 'cannot run'): void {
  const errors = err instanceof DataError ? err.diagnostics.filter((d) => d.severity === 'error') : [];
  const full = err instanceof DataError ? errors.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message} [${d.rule}]`).join('\n') : redact(err instanceof Error ? err.message : String(err));
  runLog?.error(`${what}: ${full}`);
  const msg = err instanceof DataError ? errors.slice(0, 3).map((d) => `${basename(d.file)}:${d.line}:${d.column}: ${d.message}`).join('; ') : full;
  const first = errors[0];
  const actions = first ? ['Go to Problem', 'Show Log'] : ['Show Log'];
  void vscode.window.showErrorMessage(`Alignment Workbench: ${what}: ${msg}`, ...actions).then(async (choice) => {
    if (choice === 'Show Log') runLog?.show();
    else if (choice === 'Go to Problem' && first) {
      const pos = new vscode.Position(Math.max(0, first.line - 1), Math.max(0, first.column - 1));
      await vscode.window.showTextDocument(vscode.Uri.file(first.file), { selection: new vscode.Range(pos, pos) });
    }
  });
}

export async function resolveOrReport(input: RunInput): Promise<ResolvedRunConfig | undefined> {
  try {
    return await resolveRunConfig(input);
  } catch (err) {
    reportCannotRun(err);
    return undefined;
  }
}

/** Shows the request count (a dry run) and asks to start; "Dry run only" stops there. */
async function confirmRun(manager: RunManager, cfg: ResolvedRunConfig, label: string): Promise<boolean> {
  let dry;
  try {
    dry = await manager.dryRun(cfg);
    if (!dry) return false; // an endpoint was not approved: nothing was sent
  } catch (err) {
    reportCannotRun(err, `cannot run ${label}`);
    return false;
  }
  const d = dry.dryRun!;
  const counts = `${d.cases} cases × ${cfg.personas.length} personas × ${cfg.models.length} models = ${d.keys} keys${d.alreadyDone ? ` (${d.alreadyDone} already done)` : ''}: ${d.generationRequests} generation + ${d.judgeRequests} judge requests`;
  if (d.missingKeys.length) {
    const choice = await vscode.window.showErrorMessage(`Alignment Workbench: no API key for ${d.missingKeys.join(', ')}. Set one with "Set API Key" or in the environment.`, 'Set API Key');
    if (choice) await vscode.commands.executeCommand('alignmentWorkbench.setApiKey');
    return false;
  }
  const endpoints = describeEndpoints(cfg);
  const start = { label: `$(play) Start: ${d.generationRequests + d.judgeRequests} requests`, description: `to ${endpoints.join(' and ')}`, detail: counts, value: 'start' };
  const only = { label: '$(checklist) Dry run only', detail: 'Nothing is sent; the counts are in the log.', value: 'dry' };
  const pick = await vscode.window.showQuickPick([start, only], { title: `Run ${label}?`, ignoreFocusOut: true });
  if (pick?.value === 'dry') {
    runLog?.info(`dry run of ${label}: ${counts}; would call ${endpoints.join(' and ')}`);
    void vscode.window.showInformationMessage(`Alignment Workbench: dry run of ${label}: ${counts}, to ${endpoints.join(' and ')}. Nothing was sent.`);
  }
  return pick?.value === 'start';
}

/** Run Benchmark, Resume Run, Score Run, Run This Case, Cancel, and the API keys (trust: `commands.ts`). */
export function runCommands(manager: RunManager, keys: KeyStore, caseLens: { runCase(uri: vscode.Uri, id: string): Promise<void> }, log: vscode.LogOutputChannel) {
  runLog = log;

  async function runBenchmarkCommand(arg?: unknown, options: { skipConfirm?: boolean } = {}): Promise<void> {
    const root = workspaceRoot();
    if (!root) { void vscode.window.showErrorMessage('Alignment Workbench: open a folder to run a benchmark.'); return; }
    const path = toPath(arg);
    let input: RunInput;
    if (path && detectKind(path) === 'bench') input = { bench: path, cwd: dirname(path), env: runEnvironment() };
    else if (path && detectKind(path)) {
      const asked = await askRunInput(root, path);
      if (!asked) return;
      input = { ...asked, cwd: root, env: runEnvironment() };
    } else {
      const choice = await pickBenchFile(root);
      if (!choice) return;
      if (choice === 'ask') {
        const asked = await askRunInput(root);
        if (!asked) return;
        input = { ...asked, cwd: root, env: runEnvironment() };
      } else input = { bench: choice, cwd: dirname(choice), env: runEnvironment() };
    }
    const cfg = await resolveOrReport(input);
    if (!cfg) return;
    const label = cfg.benchFile ? `${basename(cfg.benchFile)} (${cfg.runId})` : `run ${cfg.runId}`;
    if (!options.skipConfirm && !(await confirmRun(manager, cfg, label))) return;
    await manager.run(cfg, label);
  }

  async function resumeRunCommand(arg?: unknown): Promise<void> {
    const runDir = toPath(arg) ?? (await pickRun({ title: 'Resume Run', filter: (r) => r.status === 'partial', none: 'Alignment Workbench: no run to resume run.' }));
    if (!runDir) return;
    const rj = readRunJson(runDir);
    if (!rj) { void vscode.window.showErrorMessage(`Alignment Workbench: ${runDir} has no run.json to resume from.`); return; }
    const cfg = await resolveOrReport({ runId: rj.run_id, out: dirname(runDir), cwd: rj.config?.cwd ?? dirname(dirname(runDir)), env: runEnvironment() });
    if (!cfg) return;
    await manager.run(cfg, `resume ${rj.run_id}`);
  }

  async function scoreRunCommand(arg?: unknown): Promise<void> {
    const runDir = toPath(arg) ?? (await pickRun({ title: 'Score Run', none: 'Alignment Workbench: no run to score run.' }));
    if (!runDir) return;
    const rj = readRunJson(runDir);
    const judgeModel = await vscode.window.showInputBox({ title: 'Score Run: judge model', value: rj?.config?.judge?.slug ?? 'gpt-5-mini', ignoreFocusOut: true });
    if (!judgeModel) return;
    const rescore = await vscode.window.showQuickPick([
      { label: 'Rows not scored yet', value: 'pending' as const },
      { label: 'Rows not scored yet and judge errors', value: 'errors' as const },
      { label: 'Every row (re-score all)', value: 'all' as const },
    ], { title: 'Score Run: which rows?' });
    if (!rescore) return;
    // The manager resolves the judge and asks for approval of its endpoint before anything is sent.
    await manager.score(runDir, { judgeModel, rescore: rescore.value, ...(rj?.config?.modelsFile ? { modelsFile: rj.config.modelsFile } : {}) });
  }

  return defineHandlers({
    'alignmentWorkbench.runBenchmark': (arg?: unknown) => runBenchmarkCommand(arg),
    'alignmentWorkbench.resumeRun': resumeRunCommand,
    'alignmentWorkbench.scoreRun': scoreRunCommand,
    'alignmentWorkbench.runCase': (uri: vscode.Uri, id: string) => caseLens.runCase(uri, id),
    'alignmentWorkbench.cancelRuns': () => {
      const n = manager.cancelAll();
      void vscode.window.showInformationMessage(n ? `Alignment Workbench: cancelling ${n === 1 ? 'the running benchmark' : `${n} running benchmarks`}; what is done is kept (Resume Run completes it).` : 'Alignment Workbench: no benchmark is running; nothing to cancel.');
    },
    'alignmentWorkbench.setApiKey': () => keys.promptAndStore(),
    'alignmentWorkbench.clearApiKey': () => keys.promptAndClear(),
  });
}
