import path from 'node:path';
import { ERROR_TYPES, UnprocessableError } from '../../errors.js';
import { HEAD_BYTES, readCsvHead } from '../../streams/csv-rows.js';
import { readStoredManifest, type BackupManifest, type ManifestTableEntry } from '../sets/backup-manifest.js';
import type { BackupCatalog } from '../sets/backup-catalog.js';
import { findSetFiles } from '../sets/set-lookup.js';
import { formatOfFile, type BackupFormat, type VectorTable } from '../sets/set-naming.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import type { TableColumn } from '../langchain-tables.js';
import { planBinaryLoad } from '../formats/binary-format.js';
import { attachChecksums, checksumCause, openFileHead } from './restore-checksum.js';
import { planTableLoad, type TableLoadPlan } from './restore-plan.js';

/** Rows read from each CSV file before the load to decide between the raw and the parsing path. */
const SNIFF_ROWS = 50;

/** One file a restore will load, checked and sniffed before the transaction starts. */
export interface PreparedTable {
  table: VectorTable;
  /** The file's name in `location` of the backup store. */
  file: string;
  store: BackupStore;
  location: StoreLocation;
  format: BackupFormat;
  /** CSV: the header and first rows (binary files: empty, nothing to sniff). */
  header: string[];
  sample: (string | null)[][];
  size: number;
  /** From the set's manifest: checked while the file loads (legacy sets: none). */
  sha256?: string;
  /** The manifest's entry for the file (legacy sets: none). */
  entry?: ManifestTableEntry;
}

export interface PreparedSet {
  files: PreparedTable[];
  manifest: BackupManifest | null;
}

/**
 * Finds the set's file of each table in the store, attaches the manifest's checksum and sniffs each
 * CSV file's first rows. A binary file (`.bin`) is only valid with its manifest, which holds the
 * column types its values were written with.
 */
export async function prepareRestoreFiles(catalog: BackupCatalog, location: StoreLocation, tables: VectorTable[], timestamp: string): Promise<PreparedSet> {
  const { store } = catalog;
  const found = await findSetFiles(catalog, location, tables, timestamp);
  const manifest = await readStoredManifest(store, location, timestamp);
  const checked = attachChecksums(manifest, found.map(({ table, stored }) => ({ table, file: stored.name, size: stored.size, store, location })));
  const files = await Promise.all(
    checked.map(async (item): Promise<PreparedTable> => {
      const name = path.basename(item.file);
      const format = formatOfFile(name);
      const entry = manifest?.tables.find((t) => t.table === item.table && t.file === name);
      if (format === 'binary') {
        if (!entry) throw new UnprocessableError(`备份文件 ${name} 是 binary 格式，但备份集没有清单 (列类型未知)，无法恢复`, ERROR_TYPES.VECTOR_RESTORE_FAILED);
        return { ...item, format, header: [], sample: [], entry };
      }
      // A file that cannot even be sniffed is reported as corrupt when its checksum says so.
      const head = await readCsvHead(() => openFileHead(item, HEAD_BYTES), SNIFF_ROWS).catch(async (err: Error) => {
        throw await checksumCause(new UnprocessableError(`备份文件 ${name} 无法解析: ${err.message}`, ERROR_TYPES.VECTOR_RESTORE_FAILED), item);
      });
      if (head.header.length === 0) throw new UnprocessableError(`备份文件 ${name} 为空或缺少表头`, ERROR_TYPES.VECTOR_RESTORE_FAILED);
      return { ...item, format, header: head.header, sample: head.rows, ...(entry ? { entry } : {}) };
    }),
  );
  return { files, manifest };
}

/** How a prepared file goes into its table: a binary file by its manifest's column types, a CSV file by its header and sniffed rows. */
export function planFileLoad(item: PreparedTable, target: readonly TableColumn[]): TableLoadPlan {
  const name = path.basename(item.file);
  return item.format === 'binary' ? planBinaryLoad(name, item.entry!.columns, target) : planTableLoad(name, item.header, item.sample, target);
}
