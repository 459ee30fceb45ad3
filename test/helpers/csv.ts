import fs from 'node:fs';
import { parse } from 'csv-parse/sync';

/** Reads a whole (small, fixture-sized) CSV file as objects keyed by header; only for assertions. */
export function readCsvObjects(file: string): Record<string, string>[] {
  return parseCsvObjects(fs.readFileSync(file));
}

/** The same for a file's bytes read elsewhere (an object of the S3 store). */
export function parseCsvObjects(bytes: Buffer): Record<string, string>[] {
  return parse(bytes, { columns: true, bom: true }) as Record<string, string>[];
}

export function parseVector(text: string): number[] {
  return text.replace(/^\[|\]$/g, '').split(',').map(Number);
}
