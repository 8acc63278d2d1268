// No vscode import: the Registry view's refresh gate, unit-tested in plain Node.

/**
 * How long a draw may wait for VS Code to ask for the children of a node it was told is expanded
 * (a node the user collapsed is never asked for), and how long after a refresh for VS Code to ask
 * for the root again (it does not while the view is hidden).
 */
const EXPECT_MS = 3000;

/**
 * Keeps refreshes out of a draw in progress. A whole-tree refresh makes the extension host forget
 * every node and cancel the children being fetched; if VS Code is resolving an expanded node at
 * that moment, it gets an empty answer for it (or none: "No tree item with id") and draws the
 * node expanded and empty until the next refresh. A draw lasts from the root's fetch until every
 * expanded node's children are fetched (the provider awaits the registries, the workspace search
 * and each registry read in between), and a refresh starts it again (the host applies it up to
 * 200 ms later). Refreshes asked for during a draw are merged into one, fired when it ends.
 */
export class DrawGate {
  private inFlight = 0;
  /** Expanded nodes VS Code has been given and will ask children for (id → deadline). */
  private readonly expected = new Map<string, number>();
  /** Deadline of the root fetch a fired refresh leads to, when one is awaited. */
  private rootDue: number | undefined;
  private pending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly fire: () => void, private readonly now: () => number = Date.now) {}

  /** Asks for a refresh: fired now if no draw is going on, else once the draw ends. */
  request(): void {
    this.pending = true;
    this.settle();
  }

  /** Wraps one getChildren call; `expanded` are the ids of the returned nodes drawn expanded. */
  async track<T>(nodeId: string | undefined, fetch: () => Promise<T>, expanded: (result: T) => string[]): Promise<T> {
    if (nodeId === undefined) this.rootDue = undefined;
    else this.expected.delete(nodeId);
    this.inFlight++;
    try {
      const result = await fetch();
      const due = this.now() + EXPECT_MS;
      for (const id of expanded(result)) this.expected.set(id, due);
      return result;
    } finally {
      this.inFlight--;
      this.settle();
    }
  }

  private busy(): boolean {
    if (this.inFlight > 0) return true;
    const t = this.now();
    if (this.rootDue !== undefined && this.rootDue > t) return true;
    for (const [id, due] of this.expected) if (due <= t) this.expected.delete(id);
    return this.expected.size > 0;
  }

  private settle(): void {
    if (!this.pending) return;
    if (this.busy()) {
      // Bounded: a node never asked for (collapsed, hidden view) stops counting at its deadline.
      if (this.inFlight === 0 && !this.timer) {
        const next = Math.min(this.rootDue ?? Infinity, ...this.expected.values());
        this.timer = setTimeout(() => { this.timer = undefined; this.settle(); }, Math.max(10, next - this.now() + 5));
      }
      return;
    }
    this.pending = false;
    this.rootDue = this.now() + EXPECT_MS;
    this.expected.clear();
    this.fire();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.pending = false;
  }
}
