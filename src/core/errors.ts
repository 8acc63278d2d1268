/**
 * An error the user can act on — bad input, a locked run, a changed dataset, a registry that said
 * no. The CLI prints its message without a stack trace and exits 1; the editor shows the message.
 * Anything else that escapes is a bug and keeps its stack trace.
 */
export class ExpectedError extends Error {}

export function isExpectedError(err: unknown): err is ExpectedError {
  return err instanceof ExpectedError;
}
