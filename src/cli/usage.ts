/** A mistake in how the command was called: exit code 2, message on stderr. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the user can act on (missing file, invalid card): exit code 1, message on stderr. */
export class UserError extends Error {
  override name = 'UserError';
}

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** A subcommand: gets its own argv (after the command name) and returns the exit code. */
export type Command = (argv: string[], io: CliIO) => Promise<number>;

/** Serves until Ctrl+C or SIGTERM, then closes the server (a close that fails still ends the wait). */
export function serveUntilStopped(server: { close(): Promise<unknown> }): Promise<void> {
  return new Promise<void>((resolveStop) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(() => resolveStop(), () => resolveStop());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
