/**
 * The extension's one command table: every command it registers, whether it needs a trusted
 * workspace and how an error that escapes its handler is reported. The handlers live in their
 * feature's folder (each feature returns a record of id → handler, see `defineHandlers`);
 * `registerCommands.ts` registers them all, checks trust and reports errors, from this table.
 *
 * No `vscode` import here (types only), so a unit test can hold this table against package.json:
 * every contributed command has exactly one entry, and every entry not marked `internal` is
 * contributed (test/unit/commands.table.test.ts).
 */

/**
 * How an error escaping a handler is reported. `notify`: an error notification with the message
 * (an unexpected error's stack goes to the log, and the notification offers Show Log; an expected
 * one, `core/errors.ts`, shows its message only). `log`: only the log says so.
 */
type ErrorReport = 'notify' | 'log';

/** A command that needs a trusted workspace names what it does, for the Restricted Mode warning. */
type CommandPolicy =
  | { readonly needsTrust: false; readonly errors: ErrorReport; readonly internal?: true }
  | { readonly needsTrust: true; readonly action: string; readonly errors: ErrorReport; readonly internal?: true };

const safe = { needsTrust: false, errors: 'notify' } as const;
const trusted = (action: string) => ({ needsTrust: true, action, errors: 'notify' }) as const;

export const COMMANDS = {
  // The extension itself (extension.ts) and the language features (language/).
  'alignmentWorkbench.showLog': safe,
  'alignmentWorkbench.validateWorkspace': safe,
  'alignmentWorkbench.walkthrough.openLocalBench': safe,
  // A quick fix's follow-up (it saves the roster it edited); not in package.json. A failed save
  // is reported by the editor itself.
  'alignmentWorkbench.saveRosterAfterFix': { needsTrust: false, errors: 'log', internal: true },
  // Running (run/): these send prompts, and keys, over the network.
  'alignmentWorkbench.runBenchmark': trusted('Running a benchmark'),
  'alignmentWorkbench.resumeRun': trusted('Resuming a run'),
  'alignmentWorkbench.scoreRun': trusted('Scoring a run'),
  'alignmentWorkbench.runCase': trusted('Running a case'),
  'alignmentWorkbench.cancelRuns': safe,
  'alignmentWorkbench.setApiKey': safe,
  'alignmentWorkbench.clearApiKey': safe,
  // Results (results/) and Compare Runs (compare/): reading run folders only.
  'alignmentWorkbench.openResults': safe,
  'alignmentWorkbench.runs.refresh': safe,
  'alignmentWorkbench.runs.resume': trusted('Resuming a run'),
  'alignmentWorkbench.runs.reveal': safe,
  'alignmentWorkbench.compareRuns': safe,
  // Preview Grid (grid/): builds cases, sends nothing.
  'alignmentWorkbench.previewGrid': safe,
  // The Registry view (registry/). Getting a dataset checks trust itself: only a download needs it.
  'alignmentWorkbench.registry.search': safe,
  'alignmentWorkbench.registry.clearSearch': safe,
  'alignmentWorkbench.registry.refresh': safe,
  'alignmentWorkbench.registry.register': safe,
  'alignmentWorkbench.registry.openCard': safe,
  'alignmentWorkbench.registry.openData': safe,
  'alignmentWorkbench.registry.get': safe,
  'alignmentWorkbench.registry.rate': safe,
  'alignmentWorkbench.registry.showHistory': safe,
  'alignmentWorkbench.registry.runOnDataset': trusted('Running a benchmark'),
} as const satisfies Record<string, CommandPolicy>;

export type CommandId = keyof typeof COMMANDS;

/** What VS Code passes a command: a tree item, a URI, a path, a code lens's arguments… (its own signature) */
export type CommandHandler = (...args: any[]) => unknown;

/** A feature's commands: only ids from the table (a typo does not compile). */
export function defineHandlers<K extends CommandId>(handlers: { [P in K]: CommandHandler }): { [P in K]: CommandHandler } {
  return handlers;
}

/**
 * One handler for each command of the table, from the features' records. A command with two
 * handlers, none, or one not in the table is a bug in the extension: activation stops here.
 */
export function collectHandlers(features: readonly Partial<Record<string, CommandHandler>>[]): Map<CommandId, CommandHandler> {
  const found = new Map<string, CommandHandler>();
  for (const feature of features) {
    for (const [id, handler] of Object.entries(feature)) {
      if (!handler) continue;
      if (!Object.hasOwn(COMMANDS, id)) throw new Error(`command ${id} has a handler but no entry in the command table (src/extension/commands.ts)`);
      if (found.has(id)) throw new Error(`command ${id} has two handlers`);
      found.set(id, handler);
    }
  }
  const missing = Object.keys(COMMANDS).filter((id) => !found.has(id));
  if (missing.length) throw new Error(`command(s) with no handler: ${missing.join(', ')}`);
  return found as Map<CommandId, CommandHandler>;
}
