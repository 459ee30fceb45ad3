import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse, type Parser } from 'csv-parse';
import { stringify } from 'csv-stringify';

/** A CSV field as COPY sees it: `null` for an unquoted empty field (SQL NULL), else the text. */
export type CsvField = string | null;

/** Opens a backup file as a byte stream, transparently gunzipping `.gz` files. */
export function openCsvFile(file: string, options: { end?: number } = {}): Readable {
  const raw = fs.createReadStream(file, { highWaterMark: 256 * 1024, end: options.end });
  return file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}

/**
 * csv-parse configured for COPY's CSV dialect: an unquoted empty field is NULL, a quoted one is ''.
 * Accepts a UTF-8 BOM and both LF and CRLF row ends (Python's csv module writes CRLF).
 */
export function createCsvParser(): Parser {
  return parse({
    bom: true,
    relax_column_count: false,
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
  });
}

/**
 * Writes records back in COPY's CSV dialect. `quoted_string` quotes every text value, so an empty
 * string stays `""` while `null` stays an unquoted empty field (NULL).
 */
export function createCsvWriter(): Transform {
  return stringify({ quoted_string: true, record_delimiter: '\n' });
}

/** Reads the header and up to `maxRows` records from the start of a CSV file, never the whole file. */
export async function readCsvHead(
  file: string,
  maxRows: number,
): Promise<{ header: string[]; rows: CsvField[][] }> {
  const source = openCsvFile(file, { end: 4 * 1024 * 1024 });
  const parser = createCsvParser();
  const records: CsvField[][] = [];
  source.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<CsvField[]>) {
      records.push(record);
      if (records.length > maxRows) break;
    }
  } catch (err) {
    // A sniff window that cuts a quoted field is expected; only a file with no header is an error.
    if (records.length === 0) throw err;
  } finally {
    source.destroy();
    parser.destroy();
  }
  const [header, ...rows] = records;
  return { header: (header ?? []).map((h) => h ?? ''), rows };
}

/** A transform over parsed records (object mode): the fix-up stage of the slow restore path. */
export function mapRecords(fn: (record: CsvField[], index: number) => CsvField[]): Transform {
  let index = 0;
  return new Transform({
    objectMode: true,
    transform(record: CsvField[], _encoding, callback) {
      try {
        callback(null, fn(record, index++));
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}

/** One record as a COPY CSV line: text always quoted (so '' stays ''), NULL as an empty field. */
export function csvLine(record: readonly CsvField[]): string {
  return `${record.map((v) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`)).join(',')}\n`;
}
