/**
 * A probe whose answer is reused for `ttlMs`: health checks are polled (dashboards, load
 * balancers, every few seconds by several callers), and a probe that writes something (a file in
 * the data root, an object in the bucket) should not run once per poll. Concurrent callers share
 * the one probe in flight.
 */
export function cachedProbe<T>(ttlMs: number, probe: () => Promise<T>, clock: () => number = Date.now): () => Promise<T> {
  let cached: { at: number; answer: Promise<T> } | null = null;
  return () => {
    const now = clock();
    if (cached === null || now - cached.at > ttlMs) cached = { at: now, answer: probe() };
    return cached.answer;
  };
}
