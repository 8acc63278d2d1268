// Bounded waiting: every wait of the harness ends, with a message saying what it waited for.

/** Default bound of every UI wait, in ms. */
export const DEFAULT_TIMEOUT_MS = Number(process.env.AWB_E2E_TIMEOUT_MS) || 30_000;

/** An error that ends a poll at once instead of being retried. */
export class FatalError extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function poll(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      lastError = e;
    }
    await sleep(intervalMs);
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}

/** Rejects after `ms` so no await can hang a test run. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
