import { describe, expect, it } from 'vitest';
import { cachedProbe } from './cached-probe.js';

describe('cachedProbe', () => {
  it('runs the probe once per ttl, shares the answer in flight, and probes again once it is stale', async () => {
    let now = 1000;
    let runs = 0;
    const probe = cachedProbe(5000, async () => ++runs, () => now);
    expect(await Promise.all([probe(), probe(), probe()])).toEqual([1, 1, 1]);
    now += 5000;
    expect(await probe()).toBe(1);
    now += 1;
    expect(await probe()).toBe(2);
    expect(runs).toBe(2);
  });

  it('keeps a failure only as long as a success (a broken disk is re-probed after the ttl)', async () => {
    let now = 0;
    let healthy = false;
    const probe = cachedProbe(100, async () => healthy, () => now);
    expect(await probe()).toBe(false);
    healthy = true;
    expect(await probe()).toBe(false);
    now = 101;
    expect(await probe()).toBe(true);
  });
});
