import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createCsvParser, type CsvField } from '../../streams/csv-rows.js';
import type { BackupManifest } from '../sets/backup-manifest.js';
import type { CollectionRef } from './collection-remap.js';

/**
 * The collections a set holds, from its collection file (a handful of rows: read whole; its
 * SHA-256 is checked when it loads) or, without that file, from its manifest. Empty when neither
 * names them: every embedding is then kept as it is.
 */
export async function readSetCollections(collectionFile: (() => Readable) | null, manifest: BackupManifest | null): Promise<CollectionRef[]> {
  if (collectionFile === null) return (manifest?.collections ?? []).map(({ uuid, name }) => ({ uuid, name }));
  const out: CollectionRef[] = [];
  let uuidAt = -1;
  let nameAt = -1;
  await pipeline(collectionFile(), createCsvParser(), async (records: AsyncIterable<CsvField[]>) => {
    for await (const record of records) {
      if (uuidAt < 0) {
        uuidAt = record.indexOf('uuid');
        nameAt = record.indexOf('name');
        if (uuidAt < 0 || nameAt < 0) return;
        continue;
      }
      const uuid = record[uuidAt];
      const name = record[nameAt];
      if (uuid && name !== null && name !== undefined) out.push({ uuid, name });
    }
  });
  return out;
}
