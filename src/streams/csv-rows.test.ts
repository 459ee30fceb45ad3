import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsvHead } from './csv-rows.js';

const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe('readCsvHead', () => {
  let dir: string;
  let gz: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-csv-'));
    gz = path.join(dir, 'langchain_pg_embedding_20990101_000000.csv.gz');
    // Incompressible rows: the .gz is far larger than one read, so the sniff stops mid-file.
    const rows = Array.from({ length: 3000 }, (_, i) => `"id-${i}","${randomBytes(300).toString('hex')}"`);
    fs.writeFileSync(gz, gzipSync(`id,document\n${rows.join('\n')}\n`));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!fs.existsSync('/proc/self/fd'))('sniffing a .csv.gz 50 times leaves no file descriptor open', async () => {
    const before = openFds();
    for (let i = 0; i < 50; i++) {
      const head = await readCsvHead(gz, 50);
      expect(head.header).toEqual(['id', 'document']);
      expect(head.rows).toHaveLength(50);
    }
    // Closing is asynchronous (fs.close on the thread pool): give it a moment, not a deadline.
    for (let i = 0; i < 50 && openFds() > before; i++) await sleep(20);
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('a missing .csv.gz is a rejected promise, not an unhandled error event', async () => {
    await expect(readCsvHead(path.join(dir, 'gone.csv.gz'), 50)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
