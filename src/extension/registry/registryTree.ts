import { homedir } from 'node:os';
import { basename, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import { DatasetCardSchema, parseYaml, type DatasetCard } from '../../core';
import { indexListing, searchListings, wireCard, type Listing, type Registry } from '../../core/registry';
import { DrawGate } from './drawGate';

/** One registry the tree shows: the local file, or a remote one from the settings. */
export interface RegistrySource {
  key: string;
  label: string;
  registry: Registry;
  remote: boolean;
}

export interface RegistryFilter {
  query: string;
  category?: string;
  minQuality: number;
}

export const CARD_GLOB = '**/*.dataset.{yaml,yml,json}';
const CARD_EXCLUDE = '{**/node_modules/**,**/results/**,**/.git/**}';

export type RegistryNode = SourceNode | CategoryNode | DatasetNode | CardsNode | CardNode | MessageNode;

class SourceNode extends vscode.TreeItem {
  constructor(readonly source: RegistrySource) {
    super(source.label, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `source:${source.key}`;
    const home = homedir();
    const where = source.registry.location;
    this.description = !source.remote && where.startsWith(home + sep) ? `~${where.slice(home.length)}` : where;
    this.tooltip = source.registry.location;
    this.iconPath = new vscode.ThemeIcon(source.remote ? 'cloud' : 'database');
    this.contextValue = source.remote ? 'awbRegistry.remote' : 'awbRegistry.local';
  }
}

class CategoryNode extends vscode.TreeItem {
  constructor(readonly source: RegistrySource, readonly category: string, readonly listings: Listing[]) {
    super(category, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `category:${source.key}:${category.toLowerCase()}`;
    this.description = `${listings.length}`;
    this.iconPath = new vscode.ThemeIcon('folder-library');
    this.contextValue = 'awbCategory';
  }
}

function plainTooltip(lines: string[]): vscode.MarkdownString {
  // Card text is untrusted: appendText escapes it, and the string is never trusted (no command links).
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.appendText(lines.join('\n'));
  return md;
}

function describe(l: Listing): string {
  const parts = [`quality ${l.dataset.quality_score}`, `${l.downloads} download${l.downloads === 1 ? '' : 's'}`];
  parts.push(l.reviews > 0 ? `★ ${l.rating.toFixed(1)} (${l.reviews})` : 'unrated');
  return parts.join(' · ');
}

export class DatasetNode extends vscode.TreeItem {
  constructor(readonly source: RegistrySource, readonly listing: Listing) {
    super(listing.dataset.name, vscode.TreeItemCollapsibleState.None);
    const d = listing.dataset;
    this.id = `dataset:${source.key}:${d.dataset_id}`;
    this.description = describe(listing);
    this.tooltip = plainTooltip([
      `${d.name} [${d.dataset_id}]${d.version ? ` v${d.version}` : ''}`,
      d.description,
      '',
      `category: ${d.category}   format: ${d.format}   size: ${d.size}   license: ${d.license}`,
      `quality: ${d.quality_score}   downloads: ${listing.downloads}   rating: ${listing.rating.toFixed(2)} (${listing.reviews} reviews)`,
      `tags: ${(d.tags ?? []).join(', ') || '—'}`,
      ...(d.taxonomy?.length ? [`taxonomy: ${d.taxonomy.join(', ')}`] : []),
      ...(d.download_url ? [`download: ${d.download_url}`] : []),
      ...(listing.data_path ? [`data: ${listing.data_path}`] : []),
      ...(listing.sha256 ? [`sha256: ${listing.sha256}`] : []),
      `registry: ${source.registry.location}`,
    ]);
    this.iconPath = new vscode.ThemeIcon('symbol-file');
    const hasLocalData = Boolean(listing.data_path);
    this.contextValue = `awbDataset${source.remote ? '.remote' : '.local'}${hasLocalData ? '.data' : ''}`;
    this.command = { command: 'alignmentWorkbench.registry.openCard', title: 'Open Card', arguments: [this] };
  }
}

export type CardStatus = 'registered' | 'changed' | 'elsewhere' | 'unregistered' | 'invalid';

class CardsNode extends vscode.TreeItem {
  constructor(count: number) {
    super('Workspace Cards', vscode.TreeItemCollapsibleState.Expanded);
    this.id = 'cards';
    this.description = `${count}`;
    this.iconPath = new vscode.ThemeIcon('files');
    this.contextValue = 'awbCards';
  }
}

const STATUS_TEXT: Record<CardStatus, string> = {
  registered: 'registered',
  changed: 'registered · card changed since',
  elsewhere: 'id registered from another file',
  unregistered: 'not registered',
  invalid: 'invalid card (see Problems)',
};

export class CardNode extends vscode.TreeItem {
  constructor(readonly uri: vscode.Uri, readonly card: DatasetCard | undefined, readonly status: CardStatus, readonly listing?: Listing) {
    super(card?.name ?? basename(uri.fsPath), vscode.TreeItemCollapsibleState.None);
    this.id = `card:${uri.toString()}`;
    this.resourceUri = uri;
    this.description = `${vscode.workspace.asRelativePath(uri)} · ${STATUS_TEXT[status]}`;
    this.tooltip = plainTooltip([
      card ? `${card.name} [${card.dataset_id}]` : basename(uri.fsPath),
      ...(card ? [card.description, `category: ${card.category}   quality: ${card.quality_score}   size: ${card.size}`] : []),
      STATUS_TEXT[status],
    ]);
    this.iconPath = new vscode.ThemeIcon(status === 'invalid' ? 'warning' : status === 'registered' ? 'pass' : 'circle-outline');
    this.contextValue = `awbCard.${status}`;
    this.command = { command: 'vscode.open', title: 'Open Card', arguments: [uri] };
  }
}

class MessageNode extends vscode.TreeItem {
  constructor(id: string, text: string, icon: 'info' | 'error' | 'warning', detail?: string) {
    super(text, vscode.TreeItemCollapsibleState.None);
    this.id = `message:${id}`;
    this.iconPath = new vscode.ThemeIcon(icon, icon === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
    if (detail) this.tooltip = plainTooltip([detail]);
    this.contextValue = `awbMessage.${icon}`;
  }
}

/** A workspace card read without touching its data (the Problems panel has the full check). */
async function readCard(uri: vscode.Uri): Promise<DatasetCard | undefined> {
  try {
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    const r = DatasetCardSchema.safeParse(parseYaml(uri.fsPath, text).value);
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function cardStatus(uri: vscode.Uri, card: DatasetCard | undefined, listing: Listing | undefined): CardStatus {
  if (!card) return 'invalid';
  if (!listing) return 'unregistered';
  if (listing.card_path && listing.card_path !== uri.fsPath) return 'elsewhere';
  // `download_url: null` and no download_url are the same card.
  return isDeepStrictEqual(wireCard(listing.dataset), wireCard(card)) ? 'registered' : 'changed';
}

/**
 * The Registry view: each registry (local first, then the remote ones from the settings) with its
 * datasets grouped by category, and the workspace's own cards. A failing remote shows an error node.
 */
export class RegistryTreeProvider implements vscode.TreeDataProvider<RegistryNode> {
  private readonly emitter = new vscode.EventEmitter<RegistryNode | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly gate = new DrawGate(() => this.emitter.fire());
  filter: RegistryFilter | undefined;
  /** Every category seen on the last refresh, for the Search picker. */
  readonly categories = new Set<string>();

  constructor(
    private readonly sources: () => RegistrySource[],
    private readonly log: vscode.LogOutputChannel,
    private readonly remoteAllowed: () => boolean,
    /** Settles once the registries are known; the root waits for it. */
    private readonly ready: Promise<unknown> = Promise.resolve(),
  ) {}

  /** Redraws the tree; during a draw, once it is finished (see DrawGate). */
  refresh(): void {
    this.gate.request();
  }

  dispose(): void {
    this.gate.dispose();
    this.emitter.dispose();
  }

  getTreeItem(node: RegistryNode): vscode.TreeItem {
    return node;
  }

  getChildren(node?: RegistryNode): Promise<RegistryNode[]> {
    const expanded = (nodes: RegistryNode[]) => nodes.filter((n) => n.collapsibleState === vscode.TreeItemCollapsibleState.Expanded && n.id).map((n) => n.id!);
    return this.gate.track(node?.id, () => this.children(node), expanded);
  }

  private async children(node?: RegistryNode): Promise<RegistryNode[]> {
    if (!node) {
      await this.ready;
      const cards = await vscode.workspace.findFiles(CARD_GLOB, CARD_EXCLUDE, 2000);
      const sources = this.sources();
      // Nothing anywhere: an empty tree, so the view's welcome content says what to do next.
      if (!this.filter && cards.length === 0 && sources.length === 1 && !sources[0]!.remote && (await this.isEmpty(sources[0]!))) return [];
      return [...sources.map((s) => new SourceNode(s)), new CardsNode(cards.length)];
    }
    if (node instanceof SourceNode) return this.sourceChildren(node.source);
    if (node instanceof CategoryNode) return node.listings.map((l) => new DatasetNode(node.source, l));
    if (node instanceof CardsNode) return this.cardChildren();
    return [];
  }

  private async isEmpty(source: RegistrySource): Promise<boolean> {
    try {
      return (await source.registry.search({ query: '', min_quality: 0 })).length === 0;
    } catch {
      return false; // the source node shows the error
    }
  }

  private async sourceChildren(source: RegistrySource): Promise<RegistryNode[]> {
    if (source.remote && !this.remoteAllowed()) {
      return [new MessageNode(`${source.key}:restricted`, 'Not contacted in Restricted Mode', 'info', 'Trust this workspace to browse remote registries.')];
    }
    let listings: Listing[];
    try {
      listings = await source.registry.search({ query: this.filter?.query ?? '', category: this.filter?.category, min_quality: this.filter?.minQuality ?? 0 });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log.error(`Registry view: ${source.registry.location}: ${msg}`);
      return [new MessageNode(`${source.key}:error`, `Cannot read this registry: ${msg}`, 'error', msg)];
    }
    if (listings.length === 0) {
      return [new MessageNode(`${source.key}:empty`, this.filter ? 'No datasets match the filter' : 'No datasets registered yet', 'info')];
    }
    const byCategory = new Map<string, Listing[]>();
    for (const l of listings) {
      this.categories.add(l.dataset.category);
      const key = l.dataset.category;
      const list = byCategory.get(key);
      if (list) list.push(l); else byCategory.set(key, [l]);
    }
    return [...byCategory.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([c, ls]) => new CategoryNode(source, c, ls));
  }

  private async cardChildren(): Promise<RegistryNode[]> {
    const uris = (await vscode.workspace.findFiles(CARD_GLOB, CARD_EXCLUDE, 2000)).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    if (uris.length === 0) return [new MessageNode('cards:none', 'No *.dataset.yaml or *.dataset.json in this workspace', 'info')];
    const local = this.sources().find((s) => !s.remote);
    const nodes: CardNode[] = [];
    for (const uri of uris) {
      const card = await readCard(uri);
      if (card) this.categories.add(card.category);
      let listing: Listing | undefined;
      try {
        listing = card && local ? await local.registry.get(card.dataset_id) : undefined;
      } catch { /* the registry's own node shows its error */ }
      nodes.push(new CardNode(uri, card, cardStatus(uri, card, listing), listing));
    }
    if (!this.filter) return nodes;
    // The same literal, case-insensitive filter as the registry's, applied to the cards.
    const valid = nodes.filter((n) => n.card);
    const pseudo = valid.map((n) => indexListing({ dataset: n.card!, downloads: 0, rating: 0, reviews: 0, sha256: null, registered_at: '', updated_at: '' }));
    const keep = new Set(searchListings(pseudo, { query: this.filter.query, category: this.filter.category, min_quality: this.filter.minQuality }).map((l) => l.dataset));
    const shown = valid.filter((n) => keep.has(n.card!));
    return shown.length > 0 ? shown : [new MessageNode('cards:filtered', 'No cards match the filter', 'info')];
  }
}
