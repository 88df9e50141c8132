// The one bounded poll the tests share: a positive signal, never a fixed sleep.

/**
 * Calls `probe` every `pollMs` until it gives a value other than `undefined` or `false`
 * (a boolean probe waits for `true`), and returns that value; throws naming `what` once
 * `timeoutMs` have passed without one.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  pollMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
