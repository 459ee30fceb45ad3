import type { Response } from 'express';

/**
 * A Server-Sent Events reply (text/event-stream): headers at once, then `event:`/`data:` blocks.
 * `closed` turns true when the client goes away, and `wait()` returns early then, so the producer
 * stops polling for nobody.
 */
export class EventStream {
  private isClosed = false;
  private nextId = 1;
  private wake: (() => void) | null = null;

  constructor(private readonly res: Response) {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream until it ends.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.once('close', () => {
      this.isClosed = true;
      this.wake?.();
    });
  }

  get closed(): boolean {
    return this.isClosed || this.res.writableEnded;
  }

  send(event: string, data: unknown): void {
    if (this.closed) return;
    this.res.write(`id: ${this.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** A comment line: keeps idle proxies from closing the connection; clients ignore it. */
  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  /** Resolves after `ms`, or at once when the client goes away. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = null;
    });
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}
