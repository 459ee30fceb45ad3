import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { PoolClient } from './pool.js';

export interface CopyOptions {
  signal?: AbortSignal;
}

type Stage = NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream | Readable | Writable;

/**
 * Streams `COPY … TO STDOUT` into `stages` (the last one a writable). Returns the row count the
 * server reported. Memory stays at one chunk per stage whatever the table size.
 */
export async function copyOut(client: PoolClient, sql: string, stages: Stage[], options: CopyOptions = {}): Promise<number> {
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
  stages: Stage[] = [],
  options: CopyOptions = {},
): Promise<number> {
  const sink = client.query(copyFrom(sql));
  await pipeline([source, ...stages, sink] as NodeJS.ReadableStream[], { signal: options.signal });
  return sink.rowCount;
}
