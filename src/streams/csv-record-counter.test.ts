import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createCsvRecordCounter } from './csv-record-counter.js';

async function count(chunks: string[]): Promise<{ records: number; open: boolean }> {
  const counter = createCsvRecordCounter();
  await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), counter, new Writable({ write: (_c, _e, cb) => cb() }));
  return { records: counter.records(), open: counter.unterminatedQuote() };
}

describe('createCsvRecordCounter', () => {
  it('counts records, not newlines inside quoted fields, across chunk borders', async () => {
    const csv = 'id,doc\n1,"a\nb"\n2,"say ""hi""\r\nthere"\n3,x\n';
    expect(await count([csv])).toEqual({ records: 4, open: false });
    // Every split point, so the quote state must survive chunk borders.
    for (let cut = 1; cut < csv.length; cut++) expect((await count([csv.slice(0, cut), csv.slice(cut)])).records).toBe(4);
  });

  it('counts a last record without a newline, nothing for an empty file, and flags an open quote', async () => {
    expect((await count(['a,b\n1,2'])).records).toBe(2);
    expect((await count([])).records).toBe(0);
    expect(await count(['a\n"unterminated\n'])).toEqual({ records: 2, open: true });
  });
});
