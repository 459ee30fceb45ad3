import { Transform } from 'node:stream';

const QUOTE = 0x22;
const NEWLINE = 0x0a;

export interface ProgressCounterOptions {
  /** The stream starts with a header line, which is not a row. */
  header?: boolean;
}

/**
 * A pass-through stage that counts the bytes and the CSV rows flowing through it and reports each
 * chunk's share to `onCount(rows, bytes)`. COPY chunks are not aligned to rows and a quoted field
 * may hold newlines (documents, JSON), so rows are counted by a byte scan that tracks quoting
 * across chunks: a newline ends a row only outside quotes (`""` inside a quoted field toggles twice
 * and so changes nothing). A parser here would cost the raw path its speed. Chunks pass unchanged.
 */
export function createProgressCounter(onCount: (rows: number, bytes: number) => void, options: ProgressCounterOptions = {}): Transform {
  let inQuotes = false;
  let headerPending = options.header === true;
  /** Bytes seen since the last row end: a last row without a trailing newline still counts. */
  let openRow = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let rows = 0;
      let quotes = inQuotes;
      let pos = 0;
      // indexOf runs in native code: the scan jumps between the two bytes that matter.
      for (;;) {
        const nextQuote = chunk.indexOf(QUOTE, pos);
        if (quotes) {
          if (nextQuote === -1) break;
          quotes = false;
          pos = nextQuote + 1;
          continue;
        }
        const nextNewline = chunk.indexOf(NEWLINE, pos);
        if (nextNewline !== -1 && (nextQuote === -1 || nextNewline < nextQuote)) {
          if (headerPending) headerPending = false;
          else rows += 1;
          pos = nextNewline + 1;
          continue;
        }
        if (nextQuote === -1) break;
        quotes = true;
        pos = nextQuote + 1;
      }
      inQuotes = quotes;
      if (chunk.length > 0) openRow = chunk[chunk.length - 1] !== NEWLINE || quotes;
      onCount(rows, chunk.length);
      callback(null, chunk);
    },
    flush(callback) {
      if (openRow && !headerPending) onCount(1, 0);
      callback();
    },
  });
}
