import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createProgressCounter } from './progress-counter.js';

async function count(chunks: (string | Buffer)[], header = false): Promise<{ rows: number; bytes: number; out: string }> {
  let rows = 0;
  let bytes = 0;
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(chunks.map((c) => Buffer.from(c))),
    createProgressCounter((r, b) => {
      rows += r;
      bytes += b;
    }, { header }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        parts.push(chunk);
        cb();
      },
    }),
  );
  return { rows, bytes, out: Buffer.concat(parts).toString() };
}

/** Every way of cutting `text` into two chunks. */
function splits(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

describe('createProgressCounter', () => {
  const csv = 'id,document\n1,"line one\nline two"\n2,"say ""hi""\n, ok"\n3,plain\n';

  it('counts rows outside quotes and passes the bytes through unchanged', async () => {
    const r = await count([csv], true);
    expect(r).toEqual({ rows: 3, bytes: Buffer.byteLength(csv), out: csv });
  });

  it('gives the same count however the chunks are cut (COPY chunks are not row-aligned)', async () => {
    for (const parts of splits(csv)) expect((await count(parts, true)).rows).toBe(3);
    const oneByteChunks = [...csv].map((c) => c);
    expect((await count(oneByteChunks, true)).rows).toBe(3);
  });

  it('counts a last row without a trailing newline, and no row for a lone header', async () => {
    expect((await count(['a,b\n1,2'], true)).rows).toBe(1);
    expect((await count(['a,b\n'], true)).rows).toBe(0);
    expect((await count(['a,b'], true)).rows).toBe(0);
    expect((await count(['1,2\n3,4'])).rows).toBe(2);
  });

  it('counts bytes, not characters', async () => {
    const r = await count(['名,值\n"中文\n换行",1\n'], true);
    expect(r.rows).toBe(1);
    expect(r.bytes).toBe(Buffer.byteLength('名,值\n"中文\n换行",1\n'));
  });
});
