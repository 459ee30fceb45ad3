import path from 'node:path';

/** The two LangChain tables, in restore order (collections before the embeddings that point at them). */
export const VECTOR_TABLES = ['langchain_pg_collection', 'langchain_pg_embedding'] as const;
export type VectorTable = (typeof VECTOR_TABLES)[number];

/** Only the embeddings are cleared by a backup's truncate, as in the original (collections are reused). */
export const TRUNCATED_BY_BACKUP: readonly VectorTable[] = ['langchain_pg_embedding'];

export const BACKUP_DIR_NAME = 'vector_bak';
export const BACKUP_LOG_NAME = 'vector_backup_log.txt';
export const TIMESTAMP_PATTERN = /^\d{8}_\d{6}$/;

/**
 * A file of a backup set: `<table>_<YYYYMMDD_HHMMSS>.csv`, or `.bin` for a binary COPY set
 * (SPEC §7 `format: "binary"`), each with `.gz` for a compressed set.
 */
export const BACKUP_FILE_PATTERN = /^(langchain_pg_collection|langchain_pg_embedding)_(\d{8}_\d{6})\.(csv|bin)(\.gz)?$/;

export const BACKUP_FORMATS = ['csv', 'binary'] as const;
export type BackupFormat = (typeof BACKUP_FORMATS)[number];

const EXTENSIONS: Record<BackupFormat, string> = { csv: 'csv', binary: 'bin' };

export function isVectorTable(name: string): name is VectorTable {
  return (VECTOR_TABLES as readonly string[]).includes(name);
}

export function backupFileName(table: VectorTable, timestamp: string, gzip = false, format: BackupFormat = 'csv'): string {
  return `${table}_${timestamp}.${EXTENSIONS[format]}${gzip ? '.gz' : ''}`;
}

/** The names a file of `table` in the set `timestamp` may have: CSV plain, compressed, then binary. */
export function backupFileNames(table: VectorTable, timestamp: string): string[] {
  return BACKUP_FORMATS.flatMap((format) => [backupFileName(table, timestamp, false, format), backupFileName(table, timestamp, true, format)]);
}

/** The format of a set's data file, by its name (`.bin` / `.bin.gz` are binary COPY). */
export function formatOfFile(name: string): BackupFormat {
  return /\.bin(\.gz)?$/.test(name) ? 'binary' : 'csv';
}

/**
 * Whether `name` belongs to the set `timestamp`, complete or still being written (`….csv.tmp`,
 * `….bin.tmp`): a new backup must not reuse a stamp any such file has.
 */
export function isFileOfSet(name: string, timestamp: string): boolean {
  return name.includes(`_${timestamp}.csv`) || name.includes(`_${timestamp}.bin`);
}

export function parseBackupFileName(name: string): { table: VectorTable; timestamp: string; gzip: boolean; format: BackupFormat } | null {
  const m = BACKUP_FILE_PATTERN.exec(name);
  return m ? { table: m[1] as VectorTable, timestamp: m[2]!, gzip: Boolean(m[4]), format: m[3] === 'bin' ? 'binary' : 'csv' } : null;
}

export function backupDirOf(parentDir: string): string {
  return path.join(parentDir, BACKUP_DIR_NAME);
}

/** The manifest of a set: written last, it is the set's commit marker (SPEC §7). */
const MANIFEST_FILE_PATTERN = /^backup_manifest_(\d{8}_\d{6})\.json$/;

export function manifestFileName(timestamp: string): string {
  return `backup_manifest_${timestamp}.json`;
}

export function parseManifestFileName(name: string): { timestamp: string } | null {
  const m = MANIFEST_FILE_PATTERN.exec(name);
  return m ? { timestamp: m[1]! } : null;
}

/** The stamp of any file of a set (data file or manifest), or null for other files (the log, temp files). */
export function setTimestampOf(name: string): string | null {
  return parseBackupFileName(name)?.timestamp ?? parseManifestFileName(name)?.timestamp ?? null;
}

/** The local reservation marker of a stamp (hidden: never listed as a file of the location). */
export function stampMarkerName(stamp: string): string {
  return `.backup_${stamp}.lock`;
}

const MARKER_PATTERN = /^\.backup_(\d{8}_\d{6})\.lock$/;
/** A writer's temp file: `.<name>.<uuid>.tmp` (local store, atomic writes). */
const TEMP_FILE_PATTERN = /^\.(.+)\.[0-9a-f-]{36}\.tmp$/;

/**
 * The stamp of a file a writer of that set makes on the way (a reservation marker, the temp file of a
 * data file or manifest), or null: what a writer killed mid-write leaves behind on a local data root.
 */
export function pendingStampOf(name: string): string | null {
  const marker = MARKER_PATTERN.exec(name);
  if (marker) return marker[1]!;
  const temp = TEMP_FILE_PATTERN.exec(name);
  return temp ? setTimestampOf(temp[1]!) : null;
}

/** `names` grouped by the stamp `stampOf` gives each (names it gives null are left out), in order. */
export function groupByStamp(names: Iterable<string>, stampOf: (name: string) => string | null): Map<string, string[]> {
  const byStamp = new Map<string, string[]>();
  for (const name of names) {
    const stamp = stampOf(name);
    if (stamp === null) continue;
    const group = byStamp.get(stamp);
    if (group) group.push(name);
    else byStamp.set(stamp, [name]);
  }
  return byStamp;
}
