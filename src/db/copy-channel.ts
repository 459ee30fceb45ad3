import type { Readable, Writable } from 'node:stream';
import type { CsvField } from '../streams/csv-rows.js';
import type { PoolClient } from './pool.js';
import type { UuidRowFilter } from './sql/vector-tables.sql.js';

export interface CopyOptions {
  signal?: AbortSignal;
}

/** A table file's format: CSV with a header, or PostgreSQL's binary COPY format (network databases only). */
export type CopyFormat = 'csv' | 'binary';

export interface CopyOutOptions extends CopyOptions {
  /** Only the rows whose column holds one of these UUIDs (a backup of selected collections). */
  rowFilter?: UuidRowFilter;
  format?: CopyFormat;
}

/** A stream stage after a COPY TO source (the last one a writable), or before a COPY FROM sink. */
export type CopyStage = NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream | Readable | Writable;

/** One CSV file (header first) going into a table. */
export interface CsvTableLoad {
  table: string;
  /** Target columns, in the order the CSV (after `transform`) provides them. Catalog names only. */
  columns: readonly string[];
  /** Opens the CSV file; called once per attempt, since a failed attempt has consumed the stream. */
  open: () => Readable;
  /**
   * Fix-up of each data row on the parsing path (the header is replaced by `columns`); null drops
   * the row (a restore of selected collections).
   */
  transform: (record: CsvField[]) => CsvField[] | null;
  /** The file's bytes are already what COPY expects: they may go to COPY unparsed. */
  raw: boolean;
  /**
   * With `raw`: when COPY rejects a value (22P02), roll the table back to a savepoint and load it
   * again through `transform` instead of failing. `onRetry` is called before the second attempt.
   */
  retryParsed: boolean;
  onRetry?: () => void;
  /** A binary COPY file: loaded as raw bytes, never parsed or retried (default csv). */
  format?: CopyFormat;
  /**
   * The table is empty and was truncated or created in the caller's transaction, and no foreign
   * key references it: the load may use COPY FREEZE (network databases; ignored where unsupported).
   */
  freeze?: boolean;
}

/**
 * How a load went in: the raw bytes, the parsing path, the parsing path after the raw bytes were
 * rejected, or the embedded database's in-process chunks (always parsed).
 */
export type CsvLoadPath = 'raw' | 'parsed' | 'raw_rejected_parsed' | 'embedded_chunks';

/**
 * The COPY of one database, network or embedded: chosen once per database by `copyChannel()`
 * (db/copy.ts), so services never ask which kind of database they are talking to. Every method
 * runs on the caller's client, inside the caller's transaction: all-or-nothing and one snapshot
 * are the caller's, whichever path runs.
 */
export interface CopyChannel {
  /**
   * Streams a whole table as CSV with a header (or binary COPY, where the channel has it) into `stages` (the last one a writable). Memory
   * stays bounded on both paths. Returns the rows copied.
   */
  copyTableOut(client: PoolClient, table: string, columns: readonly string[], stages: CopyStage[], options?: CopyOutOptions): Promise<number>;
  /** Loads one CSV file into its table. Any failure leaves the caller's transaction to roll back. */
  copyTableIn(client: PoolClient, load: CsvTableLoad, options?: CopyOptions): Promise<{ rows: number; path: CsvLoadPath }>;
  /**
   * Runs `fn` (statements on `client`) so that `signal` cancels what runs on the server (a lock
   * wait never looks at the signal). The embedded database is one session: nothing can hold a lock
   * against it and there is no second connection to cancel from, so there `fn` just runs.
   */
  withCancelOnAbort<T>(client: PoolClient, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T>;
}
