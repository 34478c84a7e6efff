/** "Wait until": the one polling loop that the stack kit, the tests and the benchmark share. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Thrown by a read or check to stop waiting at once (the process being waited for has exited). */
export class GiveUp extends Error {}

/**
 * Reads until `done(value)` holds. A read that throws counts as "not yet" (a service still starting refuses
 * connections), unless it throws GiveUp; the timeout's message carries the last value or error.
 */
export async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? ` (last error: ${String(lastError)})` : ` (last: ${JSON.stringify(last)?.slice(0, 1_500)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(everyMs);
  }
}

/** Waits until `check` answers true (see `eventually` for errors and the timeout). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 200): Promise<void> {
  await eventually(what, check, (ok) => ok, timeoutMs, everyMs);
}
