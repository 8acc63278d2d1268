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
