import { Transform } from 'node:stream';
import { BinaryCopyScanner } from './binary-copy-counter.js';
import { CsvRecordScanner } from './csv-record-counter.js';

export interface ProgressCounterOptions {
  /** The stream starts with a header line, which is not a row. */
  header?: boolean;
  /** The stream is a binary COPY file: rows are its tuples. */
  binary?: boolean;
}

/**
 * A pass-through stage that counts the bytes and the CSV rows flowing through it and reports each
 * chunk's share to `onCount(rows, bytes)`, rows found by the quote-aware byte scan (a quoted field
 * may hold newlines: documents, JSON). Chunks pass unchanged.
 */
export function createProgressCounter(onCount: (rows: number, bytes: number) => void, options: ProgressCounterOptions = {}): Transform {
  if (options.binary) {
    const tuples = new BinaryCopyScanner();
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        onCount(tuples.scan(chunk), chunk.length);
        callback(null, chunk);
      },
    });
  }
  const scanner = new CsvRecordScanner();
  let headerPending = options.header === true;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let rows = scanner.scan(chunk);
      if (headerPending && rows > 0) {
        headerPending = false;
        rows -= 1;
      }
      onCount(rows, chunk.length);
      callback(null, chunk);
    },
    flush(callback) {
      // A last row without a newline counts; a header-only stream without one has no row.
      if (scanner.openRecord && !headerPending) onCount(1, 0);
      callback();
    },
  });
}
