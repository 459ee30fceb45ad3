import type { Response } from 'express';

/**
 * Aborts when the client goes away before the reply is sent, so a long COPY for a caller who
 * pressed Ctrl-C rolls back instead of running on for nobody.
 */
export function clientGoneSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected before the reply was sent'));
  });
  return controller.signal;
}
