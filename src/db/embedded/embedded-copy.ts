import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { createCsvParser, csvLine, mapRecords, type CsvField } from '../../streams/csv-rows.js';
import type { CopyChannel, CopyFormat, CopyOutOptions, CopyStage } from '../copy-channel.js';
import type { EmbeddedPostgres } from './embedded-postgres.js';
import { query, type PoolClient } from '../pool.js';
import { copyBatchToCsv, listPrimaryKeyColumns, selectBatchLastKey } from '../sql/embedded-copy.sql.js';
import { copyTableFromBlob, copyTableToCsv } from '../sql/vector-tables.sql.js';

/** Chunk size of the in-process loads: each one blocks the event loop while PGlite runs it. */
const CHUNK_BYTES = 1024 * 1024;

/** Rows of the first COPY TO batch, before the row size is known. */
const FIRST_BATCH_ROWS = 64;
const MAX_BATCH_ROWS = 50_000;

/**
 * The embedded database's COPY (picked by db/copy.ts): tables are read in bounded batches and
 * loaded in in-process chunks, both inside the caller's transaction on its socket client.
 */
export function embeddedCopyChannel(embedded: EmbeddedPostgres): CopyChannel {
  return {
    copyTableOut: (client, table, columns, stages, options) => {
      assertCsv(options?.format);
      return copyTableOutInBatches(client, table, columns, stages, options);
    },
    async copyTableIn(_client, load, options = {}) {
      assertCsv(load.format);
      // COPY FROM STDIN over the embedded socket kills its backend: every file is parsed, fixed and
      // loaded in chunks in-process, which run inside the socket client's open transaction.
      const sink = createEmbeddedCopySink(embedded, copyTableFromBlob(load.table, load.columns));
      const fix = (record: CsvField[], index: number) => (index === 0 ? record : load.transform(record));
      await pipeline(load.open(), createCsvParser(), mapRecords(fix), sink, { signal: options.signal });
      return { rows: sink.loaded(), path: 'embedded_chunks' };
    },
    // One session: nothing can hold a lock against it, and a second connection to cancel from
    // would share (and break) the session's one connection.
    withCancelOnAbort: (_client, _signal, fn) => fn(),
  };
}

/**
 * Binary COPY would need COPY TO/FROM STDIN in binary over the embedded socket, which it lacks:
 * the services refuse `format: "binary"` there with a 400 first; this guards any other caller.
 */
function assertCsv(format: CopyFormat | undefined): void {
  if (format === 'binary') throw new Error('binary COPY is not available on the embedded database');
}

/**
 * The embedded database's `copyOut` of a whole table, as CSV with a header. PGlite runs a
 * statement to its end inside one synchronous WASM call and the socket server buffers the whole
 * reply: one `COPY … TO STDOUT` of a 250 MB table held 250 MB and stalled the event loop (no
 * HTTP, no heartbeats) for seconds. So the table is read in keyset batches of about `batchBytes`
 * (ordered by the primary key, each batch one COPY of a bounded SELECT), all fed through the same
 * stage pipeline, with the event loop free between batches. Memory is one batch whatever the size.
 * The caller's transaction (one snapshot) spans every batch. Returns the rows copied.
 */
export async function copyTableOutInBatches(
  client: PoolClient,
  table: string,
  columns: readonly string[],
  stages: CopyStage[],
  options: CopyOutOptions & { batchBytes?: number; onBatch?: (rows: number) => void } = {},
): Promise<number> {
  const key = (await query<{ column_name: string }>(client, listPrimaryKeyColumns(table))).map((r) => r.column_name);
  let rows = 0;
  const batches = async function* (): AsyncGenerator<Buffer> {
    if (key.length === 0) {
      // No key to page by (never the case for the LangChain tables): one COPY, as on a server.
      yield* copyChunks(client, copyTableToCsv(table, columns, options.rowFilter), (n) => (rows += n));
      return;
    }
    const targetBytes = options.batchBytes ?? CHUNK_BYTES;
    let batchRows = FIRST_BATCH_ROWS;
    let after: string[] | null = null;
    for (;;) {
      options.signal?.throwIfAborted();
      const [last]: Array<Record<string, string>> = await query<Record<string, string>>(client, selectBatchLastKey(table, key, after, batchRows, options.rowFilter));
      const upTo: string[] | null = last ? key.map((_, i) => last[`k${i}`]!) : null;
      let bytes = 0;
      let copied = 0;
      for await (const chunk of copyChunks(client, copyBatchToCsv(table, columns, key, { after, upTo }, after === null, options.rowFilter), (n) => (copied = n))) {
        bytes += chunk.length;
        yield chunk;
      }
      rows += copied;
      options.onBatch?.(copied);
      if (upTo === null) return;
      after = upTo;
      // Size the next batch from this one's bytes per row.
      batchRows = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor((targetBytes * copied) / Math.max(bytes, 1))));
    }
  };
  await pipeline([Readable.from(batches(), { objectMode: false }), ...stages] as NodeJS.ReadableStream[], { signal: options.signal });
  return rows;
}

/**
 * One COPY TO of a batch. When the consumer stops early (a failed write downstream, an abort), the
 * rest of this batch (≤ ~1 MiB) is still read to its end: destroying the COPY stream mid-reply
 * leaves the embedded session's only connection inside the COPY protocol, and the transaction's
 * ROLLBACK then waits behind it forever. A `for await` would destroy it on the way out.
 */
async function* copyChunks(client: PoolClient, sql: string, onRows: (rows: number) => void): AsyncGenerator<Buffer> {
  const source = client.query(copyTo(sql));
  const chunks = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value as Buffer;
    finished = true;
    onRows(source.rowCount);
  } finally {
    if (!finished) while (!(await chunks.next()).done);
  }
}

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
