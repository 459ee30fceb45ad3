import fsp from 'node:fs/promises';
import path from 'node:path';
import { ERROR_TYPES, NotFoundError, UnprocessableError } from '../../errors.js';
import { readCsvHead } from '../../streams/csv-rows.js';
import { readManifest, type BackupManifest, type ManifestTableEntry } from '../sets/backup-manifest.js';
import type { BackupCatalog } from '../sets/backup-catalog.js';
import { formatOfFile, type BackupFormat, type VectorTable } from '../sets/set-naming.js';
import { attachChecksums, checksumCause } from './restore-checksum.js';
import type { TableColumn } from '../langchain-tables.js';
import { planBinaryLoad } from '../formats/binary-format.js';
import { planTableLoad, type TableLoadPlan } from './restore-plan.js';

/** Rows read from each CSV file before the load to decide between the raw and the parsing path. */
const SNIFF_ROWS = 50;

/** One file a restore will load, checked and sniffed before the transaction starts. */
export interface PreparedTable {
  table: VectorTable;
  file: string;
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
 * Finds the set's file of each table, attaches the manifest's checksum and sniffs each CSV file's
 * first rows. A binary file (`.bin`) is only valid with its manifest, which holds the column types
 * its values were written with.
 */
export async function prepareRestoreFiles(catalog: BackupCatalog, dir: string, tables: VectorTable[], timestamp: string): Promise<PreparedSet> {
  const found = await Promise.all(tables.map(async (table) => ({ table, file: await catalog.findFile(dir, table, timestamp) })));
  const missing = found.filter(({ file }) => file === null).map(({ table }) => `${table}_${timestamp}.csv`);
  if (missing.length > 0) throw new NotFoundError(`备份文件不存在: ${missing.join(', ')}`);
  const manifest = await readManifest(dir, timestamp);
  const checked = attachChecksums(manifest, found as { table: VectorTable; file: string }[]);
  const files = await Promise.all(
    checked.map(async (item): Promise<PreparedTable> => {
      const name = path.basename(item.file);
      const size = (await fsp.stat(item.file)).size;
      const format = formatOfFile(name);
      const entry = manifest?.tables.find((t) => t.table === item.table && t.file === name);
      if (format === 'binary') {
        if (!entry) throw new UnprocessableError(`备份文件 ${name} 是 binary 格式，但备份集没有清单 (列类型未知)，无法恢复`, ERROR_TYPES.VECTOR_RESTORE_FAILED);
        return { ...item, format, header: [], sample: [], size, entry };
      }
      // A file that cannot even be sniffed is reported as corrupt when its checksum says so.
      const head = await readCsvHead(item.file, SNIFF_ROWS).catch(async (err: Error) => {
        throw await checksumCause(new UnprocessableError(`备份文件 ${name} 无法解析: ${err.message}`, ERROR_TYPES.VECTOR_RESTORE_FAILED), item);
      });
      if (head.header.length === 0) throw new UnprocessableError(`备份文件 ${name} 为空或缺少表头`, ERROR_TYPES.VECTOR_RESTORE_FAILED);
      return { ...item, format, header: head.header, sample: head.rows, size, ...(entry ? { entry } : {}) };
    }),
  );
  return { files, manifest };
}

/** How a prepared file goes into its table: a binary file by its manifest's column types, a CSV file by its header and sniffed rows. */
export function planFileLoad(item: PreparedTable, target: readonly TableColumn[]): TableLoadPlan {
  const name = path.basename(item.file);
  return item.format === 'binary' ? planBinaryLoad(name, item.entry!.columns, target) : planTableLoad(name, item.header, item.sample, target);
}
