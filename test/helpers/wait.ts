/**
 * Polls `probe` every 100 ms until `ok` accepts its value; fails naming `what` (and the last value)
 * after `timeoutMs`. A wait limit, never an assertion on how long something took.
 */
export async function waitUntil<T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
