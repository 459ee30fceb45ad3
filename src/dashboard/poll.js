// Repeating refreshes that never overlap and stop when their view goes away.

/**
 * Runs fn now and then every `ms` after the previous run finished. interval(ms) changes the pace
 * (fast while something runs, slow when idle); stop() ends it; now() refreshes at once.
 */
export function poller(fn, ms) {
  let timer = null;
  let stopped = false;
  let running = null;
  let pace = ms;
  const tick = async () => {
    clearTimeout(timer);
    if (stopped) return;
    running = (async () => {
      try {
        await fn();
      } catch (err) {
        console.warn('refresh failed', err);
      }
    })();
    await running;
    running = null;
    if (!stopped) timer = setTimeout(tick, pace);
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    async now() {
      if (running) await running;
      await tick();
    },
    interval(next) {
      pace = next;
    },
  };
}
