import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { OpenFile } from '../lib/durable-dir.js';
import { createDurableFileSink } from './durable-file-sink.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-sink-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Real file handles whose fdatasync fails like a disk that lost the pages (EIO). */
const openWithFailingDatasync: OpenFile = async (file, flags) => {
  const handle = await fsp.open(file, flags);
  handle.datasync = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', syscall: 'fdatasync' }));
  return handle;
};

const chunks = () => Readable.from(Array.from({ length: 64 }, () => Buffer.alloc(4096, 'x')));

describe('createDurableFileSink', () => {
  it('destroyed while its first write is still opening the file: the stream ends only once that file is closed, so removing it then leaves nothing', async () => {
    const file = path.join(dir, 'aborted.csv');
    // A real open that takes its time, as on a loaded machine.
    const slowOpen: OpenFile = async (name, flags) => {
      await sleep(50);
      return fsp.open(name, flags);
    };
    const sink = createDurableFileSink(file, { open: slowOpen });
    sink.write(Buffer.alloc(1000, 'x'));
    sink.destroy();
    await finished(sink).catch(() => undefined);
    // The caller's cleanup (LocalBackupStore's abort): the file is there to be removed.
    expect(fs.existsSync(file)).toBe(true);
    await fsp.rm(file, { force: true });
    await sleep(100);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('writes and syncs a file', async () => {
    const file = path.join(dir, 'ok.csv');
    await pipeline(chunks(), createDurableFileSink(file, { syncEveryBytes: 8192 }));
    expect(fs.statSync(file).size).toBe(64 * 4096);
  });

  it('a background fdatasync failing with EIO fails the pipeline, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const sink = createDurableFileSink(path.join(dir, 'eio.csv'), { syncEveryBytes: 4096, open: openWithFailingDatasync });
      await expect(pipeline(chunks(), sink)).rejects.toMatchObject({ code: 'EIO' });
      for (let i = 0; i < 5; i++) await tick();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
