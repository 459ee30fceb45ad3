import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TransferProgress } from './job-progress.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const csv = (rows: number) => `id,doc\n${Array.from({ length: rows }, (_, i) => `${i},"a\nb"`).join('\n')}\n`;

describe('TransferProgress', () => {
  it('percent follows the bytes when every total is known, stays below 100 until finish, and never goes back', async () => {
    let now = 0;
    const p = new TransferProgress('copy', () => undefined, () => now);
    const file = Buffer.from(csv(10));
    p.expect([{ table: 't', bytes: file.length }]);
    expect(p.snapshot()).toMatchObject({ phase: 'copy', percent: 0, bytes_total: file.length, rows_total: null });
    const counter = p.counter('t');
    now = 2000;
    await pipeline(Readable.from([file.subarray(0, file.length / 2), file.subarray(file.length / 2)]), counter, sink());
    const copied = p.snapshot();
    expect(copied.percent).toBe(99);
    expect(copied.tables.t).toMatchObject({ rows_done: 10, rows_total: 10, bytes_done: file.length, percent: 100, rows_per_sec: 5 });
    // A retried load starts the table over: the counts do, the percent does not.
    p.counter('t');
    expect(p.snapshot()).toMatchObject({ rows_done: 0, percent: 99 });
    p.finish();
    expect(p.snapshot()).toMatchObject({ phase: 'done', percent: 100 });
  });

  it('a snapshot read before any total is known is 0 percent, and does not hold the percent up afterwards', () => {
    const p = new TransferProgress('snapshot');
    expect(p.snapshot()).toMatchObject({ percent: 0, rows_total: null, bytes_total: null });
    p.expect([{ table: 't', bytes: 100 }]);
    expect(p.snapshot()).toMatchObject({ percent: 0, bytes_total: 100 });
  });

  it('falls back to row estimates (backup) and never reports a total below what was counted', async () => {
    const p = new TransferProgress('snapshot');
    p.expect([{ table: 'a', rows: 4 }, { table: 'b', rows: 1 }]);
    expect(p.snapshot()).toMatchObject({ rows_total: 5, bytes_total: null, percent: 0 });
    const counter = p.counter('a');
    expect(p.snapshot().phase).toBe('copy');
    counter.write(Buffer.from(csv(2).slice(0, -1))); // header and two rows, the last one still open
    expect(p.snapshot()).toMatchObject({ rows_done: 1, percent: 20 });
    const stale = new TransferProgress('copy');
    stale.expect([{ table: 'a', rows: 1 }]);
    const c = stale.counter('a');
    c.write(Buffer.from(csv(3)));
    expect(stale.snapshot().tables.a).toMatchObject({ rows_done: 3, rows_total: 3 });
    expect(stale.snapshot().percent).toBe(99);
  });

  it('a gzip file: rows counted after gunzip, bytes as stored, so bytes done reach the file size and not beyond', async () => {
    const plain = Buffer.from(csv(50));
    const stored = gzipSync(plain);
    const p = new TransferProgress('copy');
    p.expect([{ table: 'g', bytes: stored.length }]);
    const counter = p.counter('g', { countBytes: false });
    await pipeline(Readable.from([stored]), p.storedBytes('g'), createGunzip(), counter, sink());
    expect(p.snapshot().tables.g).toMatchObject({ rows_done: 50, bytes_done: stored.length, bytes_total: stored.length, percent: 100 });
    expect(p.snapshot().percent).toBe(99);
  });
});
