import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createCsvParser, createCsvWriter, mapRecords, type CsvField } from '../streams/csv-rows.js';
import { withCancelOnAbort } from './cancel-on-abort.js';
import type { CopyChannel, CopyOptions, CopyStage, CsvTableLoad } from './copy-channel.js';
import { embeddedCopyChannel } from './embedded/embedded-copy.js';
import type { EmbeddedPostgres } from './embedded/embedded-postgres.js';
import type { Pool, PoolClient } from './pool.js';
import {
  copyTableFromStdin,
  copyTableToBinary,
  copyTableToCsv,
  releaseSavepoint,
  rollbackToSavepoint,
  savepoint,
  truncateOnly,
} from './sql/vector-tables.sql.js';

export type { CopyChannel, CopyFormat, CopyOptions, CopyOutOptions, CopyStage, CsvLoadPath, CsvTableLoad } from './copy-channel.js';

/**
 * The COPY of `pool`'s database. The choice between the two paths is made here, once: the
 * embedded database (`embedded`, when `pool` is its pool) runs a statement to its end inside one
 * blocking WASM call and dies on COPY FROM STDIN over its socket, so it gets batched reads and
 * in-process loads (db/embedded/embedded-copy.ts); every other database gets COPY streamed over
 * the pool's dedicated client with pg-copy-streams.
 */
export function copyChannel(pool: Pool, embedded: EmbeddedPostgres | null): CopyChannel {
  return embedded ? embeddedCopyChannel(embedded) : networkCopyChannel(pool);
}

function networkCopyChannel(pool: Pool): CopyChannel {
  return {
    copyTableOut: (client, table, columns, stages, options) =>
      copyOut(
        client,
        options?.format === 'binary' ? copyTableToBinary(table, columns, options.rowFilter) : copyTableToCsv(table, columns, options?.rowFilter),
        stages,
        options,
      ),
    copyTableIn: (client, load, options) => copyTableInOverNetwork(client, load, options),
    withCancelOnAbort: (client, signal, fn) => withCancelOnAbort(pool, client, signal, fn),
  };
}

/**
 * Streams `COPY … TO STDOUT` into `stages` (the last one a writable). Returns the row count the
 * server reported. Memory stays at one chunk per stage whatever the table size.
 */
export async function copyOut(client: PoolClient, sql: string, stages: CopyStage[], options: CopyOptions = {}): Promise<number> {
  const source = client.query(copyTo(sql));
  await pipeline([source, ...stages] as NodeJS.ReadableStream[], { signal: options.signal });
  return source.rowCount;
}

/**
 * Streams `source` (through optional transform stages) into `COPY … FROM STDIN`. Any error in any
 * stage destroys the COPY stream, which sends CopyFail: the server discards the partial load.
 */
export async function copyIn(
  client: PoolClient,
  sql: string,
  source: Readable,
  stages: CopyStage[] = [],
  options: CopyOptions = {},
): Promise<number> {
  const sink = client.query(copyFrom(sql));
  await pipeline([source, ...stages, sink] as NodeJS.ReadableStream[], { signal: options.signal });
  return sink.rowCount;
}

/**
 * Raw bytes into COPY when the load allows it; if that fails on a malformed value (say a Python
 * literal past the rows the caller sniffed), the table is rolled back to its savepoint and loaded
 * again through the parsing path. Either way the work stays inside the caller's transaction.
 */
async function copyTableInOverNetwork(
  client: PoolClient,
  load: CsvTableLoad,
  options: CopyOptions = {},
): Promise<{ rows: number; path: 'raw' | 'parsed' | 'raw_rejected_parsed' }> {
  const binary = load.format === 'binary';
  const sql = copyTableFromStdin(load.table, load.columns, { binary, freeze: load.freeze });
  // COPY FREEZE needs the table truncated in the COPY's own subtransaction, and the raw path runs
  // inside a savepoint: the (empty) table is truncated once more right there, which is what makes
  // FREEZE legal. A rollback to the savepoint undoes that TRUNCATE with the rows.
  const attempt = async (stages: NodeJS.ReadWriteStream[]) => {
    if (load.freeze) await client.query(truncateOnly(load.table).text);
    return copyIn(client, sql, load.open(), stages, options);
  };
  if (binary) return { rows: await attempt([]), path: 'raw' };
  if (!load.raw) return { rows: await attempt(parsingStages(load)), path: 'parsed' };
  const mark = `restore_${load.table}`;
  await client.query(savepoint(mark).text);
  try {
    const rows = await attempt([]);
    await client.query(releaseSavepoint(mark).text);
    return { rows, path: 'raw' };
  } catch (err) {
    if (!((err as { code?: string }).code === '22P02' && load.retryParsed)) throw err;
    await client.query(rollbackToSavepoint(mark).text);
    load.onRetry?.();
    return { rows: await attempt(parsingStages(load)), path: 'raw_rejected_parsed' };
  }
}

/** parse → fix each data row (the header becomes the target column list) → CSV for COPY. */
function parsingStages(load: CsvTableLoad): NodeJS.ReadWriteStream[] {
  const header = [...load.columns];
  const fix = (record: CsvField[], index: number): CsvField[] | null => (index === 0 ? header : load.transform(record));
  return [createCsvParser(), mapRecords(fix), createCsvWriter()];
}
