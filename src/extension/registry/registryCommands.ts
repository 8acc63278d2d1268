import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { detectKind } from '../../core';
import { fetchDataset, loadCardFile, type Listing } from '../../core/registry';
import { CARD_GLOB, CardNode, DatasetNode, RegistryTreeProvider, type RegistryFilter, type RegistrySource } from './registryTree';
import { HistoryDocuments } from './registryHistory';
import { RegistrySources } from './registrySources';
import { defineHandlers, type CommandHandler } from '../commands';

const VIEW_ID = 'alignmentWorkbench.registry';
const FILTERED_KEY = 'alignmentWorkbench.registry.filtered';
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The Registry view, and its commands (returned, for the command table). Called once from
 * activate(); everything it creates is owned by `context.subscriptions`.
 */
export function registerRegistryView(context: vscode.ExtensionContext, log: vscode.LogOutputChannel) {
  let timer: NodeJS.Timeout | undefined;
  const refreshSoon = (): void => { clearTimeout(timer); timer = setTimeout(() => provider.refresh(), 300); };
  const sources = new RegistrySources(context, log, refreshSoon);
  // The view's first draw waits for the settings' registries: drawing a partial tree and
  // refreshing it while VS Code resolves the expanded nodes once left them drawn empty.
  const sourcesLoaded = sources.reload().catch((e: unknown) => log.error(`Registry: ${errorText(e)}`));
  const provider = new RegistryTreeProvider(() => sources.all(), log, () => vscode.workspace.isTrusted, sourcesLoaded);
  const sourcesKey = (): string => JSON.stringify(sources.all().map((x) => [x.key, x.label, x.registry.location]));
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const history = HistoryDocuments.register(context);
  const cardWatcher = vscode.workspace.createFileSystemWatcher(CARD_GLOB);
  context.subscriptions.push(
    sources, provider, view, cardWatcher,
    { dispose: () => clearTimeout(timer) },
    cardWatcher.onDidChange(refreshSoon), cardWatcher.onDidCreate(refreshSoon), cardWatcher.onDidDelete(refreshSoon),
    vscode.workspace.onDidGrantWorkspaceTrust(refreshSoon),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('alignmentWorkbench.registries') || e.affectsConfiguration('alignmentWorkbench.registryPath')) {
        // Only a real change redraws: a settings event that leaves the registries as they were
        // (VS Code sends some while starting up) must not restart a draw in progress.
        const before = sourcesKey();
        await sources.reload();
        if (sourcesKey() !== before) provider.refresh();
      }
    }),
  );

  function setFilter(filter: RegistryFilter | undefined): void {
    provider.filter = filter;
    const parts = filter ? [filter.query ? `"${filter.query}"` : '', filter.category ? `category ${filter.category}` : '', filter.minQuality > 0 ? `quality ≥ ${filter.minQuality}` : ''].filter(Boolean) : [];
    view.message = filter ? `Filter: ${parts.join(' · ') || 'everything'}` : undefined;
    void vscode.commands.executeCommand('setContext', FILTERED_KEY, Boolean(filter));
    provider.refresh();
  }

  /** The dataset a command is about: its tree node, or one picked from the local registry. */
  async function datasetArg(arg: unknown, title: string): Promise<{ source: RegistrySource; listing: Listing } | undefined> {
    if (arg instanceof DatasetNode) return { source: arg.source, listing: arg.listing };
    const source = sources.localSource();
    if (typeof arg === 'string') {
      const listing = await source.registry.get(arg);
      if (listing) return { source, listing };
    }
    const all = await source.registry.search({});
    if (all.length === 0) { void vscode.window.showInformationMessage('Alignment Workbench: the registry has no datasets yet.'); return undefined; }
    const pick = await vscode.window.showQuickPick(all.map((l) => ({ label: l.dataset.name, description: l.dataset.dataset_id, detail: `${l.dataset.category} · quality ${l.dataset.quality_score}`, listing: l })), { title, matchOnDescription: true });
    return pick ? { source, listing: pick.listing } : undefined;
  }

  async function pickCardFile(arg: unknown): Promise<vscode.Uri | undefined> {
    if (arg instanceof CardNode) return arg.uri;
    if (arg instanceof vscode.Uri) return arg;
    const active = vscode.window.activeTextEditor?.document.uri;
    const cards = await vscode.workspace.findFiles(CARD_GLOB, '{**/node_modules/**,**/results/**}', 2000);
    if (cards.length === 0) { void vscode.window.showErrorMessage('Alignment Workbench: no *.dataset.yaml or *.dataset.json card in this workspace.'); return undefined; }
    const items = cards.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u, picked: u.toString() === active?.toString() }));
    items.sort((a, b) => Number(b.picked) - Number(a.picked) || a.label.localeCompare(b.label));
    return (await vscode.window.showQuickPick(items, { title: 'Register Dataset Card' }))?.uri;
  }

  async function pickTarget(title: string): Promise<RegistrySource | undefined> {
    const targets = sources.all().filter((s) => !s.remote || vscode.workspace.isTrusted);
    if (targets.length === 1) return targets[0];
    return (await vscode.window.showQuickPick(targets.map((s) => ({ label: s.label, description: s.registry.location, s })), { title }))?.s;
  }

  async function register(arg?: unknown): Promise<void> {
    const uri = await pickCardFile(arg);
    if (!uri) return;
    const shown = vscode.workspace.asRelativePath(uri);
    // The card's data must be in its folder or the workspace ("get" copies the registered file).
    const loaded = await loadCardFile(uri.fsPath, { displayName: shown, roots: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath) });
    if (!loaded.ok) {
      const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
      const first = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
      log.warn(`Registry: not registered: ${errors.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join('; ')}`);
      const open = await vscode.window.showErrorMessage(`Cannot register ${shown}:${first.line}:${first.column}: ${first.message}${more}`, 'Open Card');
      if (open && existsSync(uri.fsPath)) await vscode.window.showTextDocument(uri, { selection: new vscode.Range(first.line - 1, first.column - 1, first.endLine - 1, first.endColumn - 1) });
      return;
    }
    const target = await pickTarget(`Register ${shown} in…`);
    if (!target) return;
    const listings = await sources.write(target, (s) => s.registry.register([loaded.input]));
    if (!listings) return;
    const l = listings[0]!;
    log.info(`Registry: registered ${l.dataset.dataset_id} from ${uri.fsPath} in ${target.registry.location}`);
    void vscode.window.showInformationMessage(`Alignment Workbench: registered "${l.dataset.name}" [${l.dataset.dataset_id}] in ${target.label}.`);
    provider.refresh();
  }

  async function get(arg?: unknown): Promise<string | undefined> {
    const picked = await datasetArg(arg, 'Get Dataset');
    if (!picked) return undefined;
    const { listing, source } = picked;
    const usesNetwork = !(listing.data_path && existsSync(listing.data_path));
    if (usesNetwork && !vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Alignment Workbench: downloading a dataset needs a trusted workspace.');
      return undefined;
    }
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const choice = await vscode.window.showQuickPick([
      ...(root ? [{ label: 'datasets/', description: 'in this workspace', dir: join(root, 'datasets') }] : []),
      { label: 'Choose a folder…', description: '', dir: '' },
    ], { title: `Get ${listing.dataset.name} into…` });
    if (!choice) return undefined;
    let dir = choice.dir;
    if (!dir) {
      const folder = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, openLabel: 'Get Here', ...(root ? { defaultUri: vscode.Uri.file(root) } : {}) });
      if (!folder?.[0]) return undefined;
      dir = folder[0].fsPath;
    }
    try {
      const got = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Getting ${listing.dataset.name}`, cancellable: true }, (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return sources.write(source, (s) => fetchDataset(s.registry, listing.dataset.dataset_id, { toDir: dir, signal: abort.signal }));
      });
      if (!got) return undefined;
      log.info(`Registry: got ${listing.dataset.dataset_id} from ${got.source} into ${got.file} (sha256 ${got.sha256}${got.verified ? ', verified' : ''})`);
      void vscode.window.showInformationMessage(`Alignment Workbench: ${listing.dataset.dataset_id} saved to ${vscode.workspace.asRelativePath(got.file)}${got.verified ? ' (sha256 verified)' : ''}.`);
      await vscode.window.showTextDocument(vscode.Uri.file(got.cardFile));
      provider.refresh();
      return got.cardFile;
    } catch (e) {
      void vscode.window.showErrorMessage(`Alignment Workbench: cannot get ${listing.dataset.dataset_id}: ${errorText(e)}`);
      return undefined;
    }
  }

  /** A command run right at start-up still sees every registry. */
  const afterLoad = (fn: CommandHandler): CommandHandler => async (arg?: unknown) => { await sourcesLoaded; return fn(arg); };

  return defineHandlers({
    'alignmentWorkbench.registry.search': afterLoad(async (arg?: unknown) => {
      if (arg && typeof arg === 'object' && 'query' in arg) {
        const a = arg as Partial<RegistryFilter>;
        setFilter({ query: String(a.query ?? ''), ...(a.category ? { category: a.category } : {}), minQuality: Number(a.minQuality ?? 0) });
        return;
      }
      const current = provider.filter;
      const query = await vscode.window.showInputBox({ title: 'Search Registry (1/3): text', value: current?.query ?? '', prompt: 'Literal text in the name, description or tags; case does not matter. Empty matches everything.' });
      if (query === undefined) return;
      const any = { label: 'Any category', category: undefined as string | undefined };
      const cats = [...provider.categories].sort((a, b) => a.localeCompare(b)).map((c) => ({ label: c, category: c as string | undefined }));
      const cat = await vscode.window.showQuickPick([any, ...cats], { title: 'Search Registry (2/3): category' });
      if (!cat) return;
      const min = await vscode.window.showInputBox({
        title: 'Search Registry (3/3): minimum quality', value: String(current?.minQuality ?? 0), prompt: 'From 0.0 to 1.0',
        validateInput: (v) => (v.trim() === '' || (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 1) ? undefined : 'a number from 0.0 to 1.0'),
      });
      if (min === undefined) return;
      setFilter({ query: query.trim(), ...(cat.category ? { category: cat.category } : {}), minQuality: Number(min || 0) });
    }),
    'alignmentWorkbench.registry.clearSearch': afterLoad(() => setFilter(undefined)),
    'alignmentWorkbench.registry.refresh': afterLoad(async () => { await sources.reload(); provider.refresh(); }),
    'alignmentWorkbench.registry.register': afterLoad(register),
    'alignmentWorkbench.registry.openCard': afterLoad(async (arg?: unknown) => {
      if (arg instanceof CardNode) { await vscode.window.showTextDocument(arg.uri); return; }
      const picked = await datasetArg(arg, 'Open Card');
      if (!picked) return;
      const cardPath = picked.listing.card_path;
      if (cardPath && existsSync(cardPath)) { await vscode.window.showTextDocument(vscode.Uri.file(cardPath)); return; }
      await history.showText(`/${encodeURIComponent(picked.source.key)}/${encodeURIComponent(picked.listing.dataset.dataset_id)}.dataset.json`, JSON.stringify(picked.listing.dataset, null, 2) + '\n', 'json');
    }),
    'alignmentWorkbench.registry.openData': afterLoad(async (arg?: unknown) => {
      const picked = await datasetArg(arg, 'Open Data');
      if (!picked) return;
      const dataPath = picked.listing.data_path;
      if (dataPath && existsSync(dataPath)) { await vscode.window.showTextDocument(vscode.Uri.file(dataPath)); return; }
      const go = await vscode.window.showInformationMessage(`${picked.listing.dataset.dataset_id} has no data on this machine.`, 'Get Dataset');
      if (go) await get(arg);
    }),
    'alignmentWorkbench.registry.get': afterLoad(get),
    'alignmentWorkbench.registry.rate': afterLoad(async (arg?: unknown) => {
      const picked = await datasetArg(arg, 'Rate');
      if (!picked) return;
      const stars = await vscode.window.showQuickPick([5, 4, 3, 2, 1].map((n) => ({ label: '★'.repeat(n) + '☆'.repeat(5 - n), description: `${n} star${n === 1 ? '' : 's'}`, n })), { title: `Rate ${picked.listing.dataset.name}` });
      if (!stars) return;
      const text = await vscode.window.showInputBox({ title: 'Review (optional)', prompt: 'A few words for other users; leave empty for stars only' });
      if (text === undefined) return;
      const listing = await sources.write(picked.source, (s) => s.registry.addReview(picked.listing.dataset.dataset_id, { stars: stars.n, ...(text.trim() ? { text: text.trim() } : {}) }));
      if (listing) void vscode.window.showInformationMessage(`Alignment Workbench: ${listing.dataset.dataset_id} is now rated ${listing.rating.toFixed(2)} (${listing.reviews} review${listing.reviews === 1 ? '' : 's'}).`);
      provider.refresh();
    }),
    'alignmentWorkbench.registry.showHistory': afterLoad(async (arg?: unknown) => {
      const picked = await datasetArg(arg, 'Show Evaluation History');
      if (!picked) return;
      const results = await picked.source.registry.results(picked.listing.dataset.dataset_id);
      await history.show(picked.source.key, picked.listing, picked.source.registry.location, results);
    }),
    'alignmentWorkbench.registry.runOnDataset': afterLoad(async (arg?: unknown) => {
      const picked = await datasetArg(arg, 'Run Benchmark on Dataset');
      if (!picked) return;
      const { data_path: dataPath, card_path: cardPath } = picked.listing;
      let target = [dataPath, cardPath].find((p): p is string => Boolean(p && existsSync(p) && detectKind(p))) ?? (dataPath && existsSync(dataPath) ? dataPath : undefined);
      if (!target) {
        const go = await vscode.window.showInformationMessage(`${picked.listing.dataset.dataset_id} has no data on this machine; get it first?`, 'Get Dataset');
        if (!go) return;
        target = await get(arg instanceof DatasetNode ? arg : picked.listing.dataset.dataset_id);
        if (!target) return;
      }
      await vscode.commands.executeCommand('alignmentWorkbench.runBenchmark', target);
    }),
  });
}
