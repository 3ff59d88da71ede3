/**
 * Polls `probe` until it returns true or the deadline passes; the last probe error is kept for the
 * message. A probe that throws a WaitAbandoned (the process it waits for has exited, say) ends the
 * wait at once with that error.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  { timeoutMs = 60_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      if (error instanceof WaitAbandoned) throw error;
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const cause = lastError instanceof Error ? `: ${lastError.message}` : "";
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}

/** Thrown by a probe when waiting longer cannot help. */
export class WaitAbandoned extends Error {}
