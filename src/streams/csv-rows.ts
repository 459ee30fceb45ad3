import fs from 'node:fs';
import { pipeline, Transform, type Readable } from 'node:stream';
import { pipeline as pipelinePromise } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { parse, type Parser } from 'csv-parse';
import { stringify } from 'csv-stringify';

/** A CSV field as COPY sees it: `null` for an unquoted empty field (SQL NULL), else the text. */
export type CsvField = string | null;

/**
 * Opens a backup file as a byte stream, transparently gunzipping `.gz` files. The two stages are
 * joined with pipeline(), not .pipe(): a read error (the file deleted meanwhile) reaches the
 * consumer as an error of the returned stream instead of an unhandled 'error' that kills the
 * process, and destroying the returned stream closes the file (with .pipe() its fd stayed open).
 */
export function openCsvFile(file: string, options: { end?: number } = {}): Readable {
  const raw = fs.createReadStream(file, { highWaterMark: 256 * 1024, end: options.end });
  if (!file.endsWith('.gz')) return raw;
  // The callback only has to exist: pipeline() hands every error on to the gunzip stream.
  return pipeline(raw, createGunzip(), () => undefined);
}

/** How much of a file the head reader reads at most (raw bytes: compressed ones for `.gz`). */
export const HEAD_BYTES = 4 * 1024 * 1024;

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

/**
 * Reads the header and up to `maxRows` records from the start of a CSV file, never the whole file:
 * a path, or an opener of its (already gunzipped, already bounded) byte stream, e.g. from a backup store.
 */
export async function readCsvHead(
  file: string | (() => Readable),
  maxRows: number,
): Promise<{ header: string[]; rows: CsvField[][] }> {
  const records: CsvField[][] = [];
  try {
    // Leaving the loop early ends the pipeline with an AbortError, which destroys (and closes)
    // every stage: the file is never read past the sniff, and its descriptor is released.
    const source = typeof file === 'string' ? openCsvFile(file, { end: HEAD_BYTES }) : file();
    await pipelinePromise(source, createCsvParser(), async (parsed: AsyncIterable<CsvField[]>) => {
      for await (const record of parsed) {
        records.push(record);
        if (records.length > maxRows) break;
      }
    });
  } catch (err) {
    // A sniff window that cuts a quoted field (or a gzip stream) is expected, as is the early
    // stop; only a file with no header is an error.
    if (records.length === 0) throw err;
  }
  const [header, ...rows] = records;
  return { header: (header ?? []).map((h) => h ?? ''), rows };
}

/**
 * A transform over parsed records (object mode): the fix-up stage of the slow restore path. A null
 * result drops the record (Transform pushes nothing for a null value).
 */
export function mapRecords(fn: (record: CsvField[], index: number) => CsvField[] | null): Transform {
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
