import path from 'node:path';
import { ERROR_TYPES, UnprocessableError } from '../../errors.js';
import { HEAD_BYTES, readCsvHead } from '../../streams/csv-rows.js';
import type { BackupCatalog } from '../sets/backup-catalog.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import type { VectorTable } from '../sets/set-naming.js';
import { findSetFiles } from '../sets/set-lookup.js';
import { attachChecksums, checksumCause, openFileHead } from './restore-checksum.js';

/** Rows read from each file before the load to decide between the raw and the parsing path. */
const SNIFF_ROWS = 50;

/** A set's file checked and sniffed before the restore's transaction starts. */
export interface PreparedTable {
  table: VectorTable;
  /** The file's name in `location` of the backup store. */
  file: string;
  store: BackupStore;
  location: StoreLocation;
  header: string[];
  sample: (string | null)[][];
  size: number;
  /** From the set's manifest: checked while the file loads (legacy sets: none). */
  sha256?: string;
}

export async function prepareRestoreFiles(catalog: BackupCatalog, location: StoreLocation, tables: VectorTable[], timestamp: string): Promise<PreparedTable[]> {
  const { store } = catalog;
  const found = await findSetFiles(catalog, location, tables, timestamp);
  const files = found.map(({ table, stored }) => ({ table, file: stored.name, size: stored.size, store, location }));
  const checked = await attachChecksums(store, location, timestamp, files);
  return Promise.all(
    checked.map(async (item) => {
      const name = path.basename(item.file);
      // A file that cannot even be sniffed is reported as corrupt when its checksum says so.
      const head = await readCsvHead(() => openFileHead(item, HEAD_BYTES), SNIFF_ROWS).catch(async (err: Error) => {
        throw await checksumCause(new UnprocessableError(`备份文件 ${name} 无法解析: ${err.message}`, ERROR_TYPES.VECTOR_RESTORE_FAILED), item);
      });
      if (head.header.length === 0) throw new UnprocessableError(`备份文件 ${name} 为空或缺少表头`, ERROR_TYPES.VECTOR_RESTORE_FAILED);
      return { ...item, header: head.header, sample: head.rows };
    }),
  );
}
