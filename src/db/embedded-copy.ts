import { Writable } from 'node:stream';
import { csvLine, type CsvField } from '../streams/csv-rows.js';
import type { EmbeddedPostgres } from './embedded-postgres.js';

/** Chunk size of the in-process loads: each one blocks the event loop while PGlite runs it. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The embedded database's `copyIn`: parsed records (the first one, the header, skipped) are
 * re-encoded and loaded in ~1 MiB `COPY … FROM '/dev/blob'` chunks. The caller's socket client
 * holds the open transaction, so the chunks commit or roll back with it. `loaded()` gives the count.
 */
export function createEmbeddedCopySink(embedded: EmbeddedPostgres, copySql: string): Writable & { loaded(): number } {
  let pending: string[] = [];
  let pendingBytes = 0;
  let rows = 0;
  let index = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    pendingBytes = 0;
    rows += await embedded.copyFromBlob(copySql, chunk);
  };
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 64,
    write(record: CsvField[], _encoding, callback) {
      if (index++ === 0) return callback();
      const line = csvLine(record);
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes < CHUNK_BYTES) return callback();
      flush().then(() => callback(), callback);
    },
    final(callback) {
      flush().then(() => callback(), callback);
    },
  });
  return Object.assign(sink, { loaded: () => rows });
}
