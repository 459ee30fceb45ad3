import type fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import { openFile, type OpenFile } from '../lib/durable-dir.js';

export interface DurableFileSinkOptions {
  /** Start a background fdatasync after this many unsynced bytes. */
  syncEveryBytes?: number;
  /** Opens the file; the caller's stand-in returns a real handle (tests inject EIO through it). */
  open?: OpenFile;
}

/**
 * A file sink whose data is on disk when `finish` fires. Instead of one fdatasync of the whole
 * file at the end (which made a 1 GB backup wait ~0.8 s after COPY ended), it starts an
 * fdatasync every `syncEveryBytes` while writing continues, so the final one has little left.
 *
 * A background fdatasync that fails (EIO, ENOSPC) is caught where it starts and fails the next
 * write or the final sync: never an unhandled rejection (which would kill the process), and
 * never a file reported durable after the kernel said its pages were lost.
 */
export function createDurableFileSink(file: string, options: DurableFileSinkOptions = {}): Writable {
  const syncEveryBytes = options.syncEveryBytes ?? 32 * 1024 * 1024;
  const open = options.open ?? openFile;
  // The open in flight or done: a destroy that comes while the first write is still opening the
  // file waits for it and closes it, so the caller's cleanup (removing the file once the stream has
  // ended) never runs before the file exists (an aborted write left its file behind under load).
  let opening: Promise<fs.FileHandle> | undefined;
  let unsynced = 0;
  let inflight: Promise<void> = Promise.resolve();
  let syncError: Error | undefined;
  const opened = (): Promise<fs.FileHandle> => (opening ??= open(file, 'w'));
  const write = async (chunks: Buffer[]) => {
    if (syncError) throw syncError;
    const current = await opened();
    await current.writev(chunks);
    unsynced += chunks.reduce((n, c) => n + c.length, 0);
    if (unsynced >= syncEveryBytes) {
      unsynced = 0;
      // One background sync at a time.
      inflight = inflight
        .then(() => current.datasync())
        .catch((err: Error) => {
          syncError ??= err;
        });
    }
  };
  return new Writable({
    highWaterMark: 4 * 1024 * 1024,
    writev(entries, callback) {
      write(entries.map((e) => e.chunk as Buffer)).then(() => callback(), callback);
    },
    final(callback) {
      (async () => {
        const current = await opened();
        await inflight;
        if (syncError) throw syncError;
        await current.datasync();
        await current.close();
      })().then(() => callback(), callback);
    },
    destroy(err, callback) {
      const pending = opening;
      inflight
        .then(() => pending)
        .then((current) => current?.close())
        .then(() => callback(err), () => callback(err));
    },
  });
}
