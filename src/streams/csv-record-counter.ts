import { Transform } from 'node:stream';

const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * Finds the record ends of a CSV byte stream without parsing it: a newline ends a record only
 * outside quotes (a doubled quote `""` inside a field toggles twice, so it needs no special case;
 * CRLF ends a record at its LF). COPY chunks are not aligned to rows, so the quote state carries
 * across chunks. A parser here would cost the raw path most of its throughput. Shared by the
 * manifest/verify row count and the job progress counter.
 */
export class CsvRecordScanner {
  private inQuotes = false;
  private last = NEWLINE;

  /** The record ends (newlines outside quotes) in `chunk`. */
  scan(chunk: Buffer): number {
    let ends = 0;
    // indexOf jumps over the long quote-free runs (vector text) at native speed.
    let i = 0;
    while (i < chunk.length) {
      const quote = chunk.indexOf(QUOTE, i);
      if (this.inQuotes) {
        if (quote < 0) break;
        this.inQuotes = false;
        i = quote + 1;
        continue;
      }
      const end = quote < 0 ? chunk.length : quote;
      for (let nl = chunk.indexOf(NEWLINE, i); nl >= 0 && nl < end; nl = chunk.indexOf(NEWLINE, nl + 1)) ends++;
      if (quote < 0) break;
      this.inQuotes = true;
      i = quote + 1;
    }
    if (chunk.length > 0) this.last = chunk[chunk.length - 1]!;
    return ends;
  }

  /** A last record without a trailing newline, or one cut inside a quoted field, is still a record. */
  get openRecord(): boolean {
    return this.last !== NEWLINE || this.inQuotes;
  }

  /** The input so far ends inside a quoted field (a truncated or corrupt file, once it has ended). */
  get unterminatedQuote(): boolean {
    return this.inQuotes;
  }
}

export interface CsvRecordCounter extends Transform {
  /** CSV records seen (the header included); complete once the stream has ended. */
  records(): number;
  /** True when the input ended inside a quoted field (a truncated or corrupt file). */
  unterminatedQuote(): boolean;
}

/** A pass-through stage counting CSV records (the manifest's and verify's row count on the raw path). */
export function createCsvRecordCounter(): CsvRecordCounter {
  const scanner = new CsvRecordScanner();
  let records = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      records += scanner.scan(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (scanner.openRecord) records++;
      callback();
    },
  });
  return Object.assign(counter, { records: () => records, unterminatedQuote: () => scanner.unterminatedQuote });
}
