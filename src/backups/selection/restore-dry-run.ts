import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { query, withTransaction, type Pool, type PoolClient } from '../../db/pool.js';
import { listCollections, selectExistingKeys } from '../../db/sql/collections.sql.js';
import { listPrimaryKeyColumns } from '../../db/sql/embedded-copy.sql.js';
import { AppError } from '../../errors.js';
import { binaryRemapRefused } from '../formats/binary-format.js';
import { fileTimestampToDateTime, secondsSince } from '../../lib/time.js';
import { createCsvParser, type CsvField } from '../../streams/csv-rows.js';
import { readVectorTableColumns, type TableColumn } from '../langchain-tables.js';
import type { PreparedTable } from '../restore/restore-files.js';
import { restoreFailure } from '../restore/restore-failure.js';
import { planTableLoad } from '../restore/restore-plan.js';
import { readStoredManifest } from '../sets/backup-manifest.js';
import { openFileText } from '../restore/restore-checksum.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { VECTOR_TABLES, type VectorTable } from '../sets/set-naming.js';
import { CollectionRemap, type CollectionRef, type RecordMapper, type RenameOptions } from './collection-remap.js';

/** Keys looked up per query while a dry run scans a file for conflicts. */
const LOOKUP_BATCH = 1000;
/** Conflicting ids a dry run lists (the count covers them all). */
const LISTED_CONFLICTS = 10;
/**
 * Assumed load speeds for the duration estimate, bytes/s: raw CSV into COPY and the parsing path
 * (this project's measurements: server-bound ≈ psql \copy; the JS parser ≈ 3.7k rows/s at 1024
 * dimensions ≈ 30 MB/s). A staged load (skip/upsert) reads the rows once more in INSERT … SELECT.
 */
const RAW_BYTES_PER_SECOND = 50e6;
const PARSED_BYTES_PER_SECOND = 30e6;
const STAGED_FACTOR = 1.5;

export interface DryRunInput {
  pool: Pool;
  callerParam: string | undefined;
  /** The set's location in the backup store (its manifest is read from there). */
  store: BackupStore;
  location: StoreLocation;
  prepared: readonly PreparedTable[];
  setCollections: readonly CollectionRef[];
  request: RenameOptions & { backupPath: string; timestamp: string; truncateBeforeRestore?: boolean | undefined; signal?: AbortSignal | undefined };
  started: number;
}

/** The reply of a restore dry run (documented field by field in the README and the OpenAPI summary). */
export type RestoreDryRunResult = Record<string, unknown> & { dry_run: true };

interface TableDryRun {
  file: string;
  rows: number;
  bytes: number;
  rows_source: 'manifest' | 'scan';
  load_path: 'raw' | 'parsed' | 'binary';
  /** null where not looked for: a truncating restore, the collections, or a binary file (its ids are not read here). */
  conflicts: { count: number; first_ids: string[] } | null;
}

/**
 * `dry_run` of a restore (SPEC §7): what it would load, nothing written. One read-only
 * transaction (no writer lock, no temp table: it ends holding nothing) reads the target's columns
 * and collections. Rows per table and collection come from the manifest; a legacy set's are
 * counted by scanning its files. Conflicts (keys present in the set and the table) are found by
 * reading the set's keys through the parser, after the same selection and renames as the restore,
 * and looking them up in batches.
 */
export async function dryRunRestore(input: DryRunInput): Promise<RestoreDryRunResult> {
  const { request } = input;
  const truncate = request.truncateBeforeRestore === true;
  const manifest = await readStoredManifest(input.store, input.location, request.timestamp);
  const facts = await withTransaction(
    input.pool,
    async (client) => {
      const columns = await readVectorTableColumns(client);
      const live = columns.has('langchain_pg_collection') && !truncate ? await query<CollectionRef>(client, listCollections()) : [];
      const remap = CollectionRemap.plan(input.setCollections, live, request);
      const perCollection = new Map<string, number>();
      const tables: Partial<Record<VectorTable, TableDryRun>> = {};
      for (const item of input.prepared) {
        if (item.format === 'binary') {
          // As the restore does (restore-service.ts), a binary file whose rows would need filtering or remapping is refused.
          const names = item.entry?.columns.map((c) => c.name) ?? [];
          const mapper = item.table === 'langchain_pg_collection' ? remap.collectionMapper(names) : remap.embeddingMapper(names);
          // Live collections that are the set's own are skipped on conflict (RestoreSelection.adjustPlan).
          const skipsLive = item.table === 'langchain_pg_collection' && remap.liveAsIs;
          if (mapper !== null && !skipsLive) throw binaryRemapRefused(path.basename(item.file));
          // Rows from the manifest (a binary set always has one); ids are not decoded from binary tuples.
          const rows = selectedRows(item.table, manifest?.collections ?? [], remap, item.entry?.rows ?? 0);
          tables[item.table] = { file: path.basename(item.file), rows, bytes: item.size, rows_source: 'manifest', load_path: 'binary', conflicts: null };
          continue;
        }
        const target = columns.get(item.table) ?? headerAsColumns(item.header);
        const plan = planTableLoad(path.basename(item.file), item.header, item.sample, target);
        const mapper = item.table === 'langchain_pg_collection' ? remap.collectionMapper(plan.columns) : remap.embeddingMapper(plan.columns);
        const key = columns.has(item.table) && !truncate && item.table === 'langchain_pg_embedding' ? await singleKey(client, item.table) : null;
        const fromManifest = manifest?.tables.find((t) => t.table === item.table);
        const scan = fromManifest === undefined || key !== null;
        const transform = (record: CsvField[]) => {
          const fixed = plan.slowTransform(record);
          return fixed === null || mapper === null ? fixed : mapper(fixed);
        };
        const scanned = scan ? await scanFile(client, item, plan.columns, transform, key, perCollection, request.signal) : null;
        const rows = scanned?.rows ?? selectedRows(item.table, manifest?.collections ?? [], remap, fromManifest?.rows ?? 0);
        tables[item.table] = {
          file: path.basename(item.file),
          rows,
          bytes: item.size,
          rows_source: scanned ? 'scan' : 'manifest',
          load_path: plan.transform === null && mapper === null ? 'raw' : 'parsed',
          conflicts: scanned?.conflicts ?? (truncate || item.table === 'langchain_pg_collection' ? null : { count: 0, first_ids: [] }),
        };
      }
      const missingTables = VECTOR_TABLES.filter((t) => !columns.has(t));
      return { remap, tables, perCollection, missingTables };
    },
    { isolation: 'REPEATABLE READ', readOnly: true },
  ).catch((err: unknown) => {
    if (err instanceof AppError) throw err;
    // Unreachable database → 503, a file the parser refuses → 422, as the restore itself would answer.
    throw restoreFailure(err, { dry_run: true, restore_performed: false }, undefined, input.callerParam);
  });

  const embeddings = facts.tables.langchain_pg_embedding;
  const bytesPerRow = embeddings && embeddings.rows > 0 ? embeddings.bytes / embeddings.rows : 0;
  const collections = facts.remap.report().map((c) => {
    const rows = facts.perCollection.get(c.uuid) ?? manifest?.collections.find((m) => m.uuid === c.uuid)?.rows ?? 0;
    return { ...c, rows, bytes: Math.round(rows * bytesPerRow) };
  });
  const conflicts = facts.tables.langchain_pg_embedding?.conflicts ?? null;
  const mode = request.onConflict ?? 'error';
  const all = Object.values(facts.tables);
  const seconds = all.reduce((sum, t) => {
    const speed = t.load_path === 'raw' ? RAW_BYTES_PER_SECOND : PARSED_BYTES_PER_SECOND;
    return sum + (t.bytes / speed) * (mode !== 'error' && t.conflicts !== null ? STAGED_FACTOR : 1);
  }, 0);
  return {
    dry_run: true as const,
    restore_performed: false,
    truncate_performed: false,
    backup_info: { backup_path: request.backupPath, timestamp: request.timestamp, backup_date: fileTimestampToDateTime(request.timestamp) },
    has_manifest: manifest !== null,
    tables: facts.tables,
    collections,
    rename_conflicts: facts.remap.renameConflicts.map((t) => ({ name: t.source.name, target_name: t.target.name })),
    conflicts: conflicts && { ...conflicts, on_conflict: mode, outcome: conflictOutcome(mode, conflicts.count + facts.remap.renameConflicts.length) },
    would_truncate: truncate ? input.prepared.map((p) => p.table) : [],
    would_create_tables: facts.missingTables,
    total_rows: all.reduce((n, t) => n + t.rows, 0),
    total_bytes: all.reduce((n, t) => n + t.bytes, 0),
    estimated_duration_seconds: Math.round(seconds * 10) / 10,
    estimate_basis: `bytes / assumed speed (raw ${RAW_BYTES_PER_SECOND / 1e6} MB/s, parsed ${PARSED_BYTES_PER_SECOND / 1e6} MB/s)`,
    duration: secondsSince(input.started),
  };
}

function conflictOutcome(mode: string, count: number): string {
  if (count === 0) return 'no_conflicts';
  return mode === 'error' ? 'would_fail_409' : mode === 'skip' ? 'would_skip' : 'would_update';
}

/** The table's primary key when it is one column (the LangChain layouts'); else no lookup. */
async function singleKey(client: PoolClient, table: string): Promise<string | null> {
  const key = await query<{ column_name: string }>(client, listPrimaryKeyColumns(table));
  return key.length === 1 ? key[0]!.column_name : null;
}

/** Rows the manifest promises for the selected collections (the embeddings), or the selected collections. */
function selectedRows(table: VectorTable, manifestCollections: readonly { uuid: string; rows: number }[], remap: CollectionRemap, total: number): number {
  if (!remap.filtered) return total;
  if (table === 'langchain_pg_collection') return remap.targets.size;
  return manifestCollections.filter((c) => remap.targets.has(c.uuid)).reduce((n, c) => n + c.rows, 0);
}

/** A file whose table does not exist yet: planned against its own header (the restore would create the table). */
function headerAsColumns(header: readonly string[]): TableColumn[] {
  return header.map((name) => ({
    name,
    dataType: 'text',
    typeName: name === 'cmetadata' ? 'jsonb' : 'text',
    generated: false,
    notNull: false,
    hasDefault: false,
  }));
}

/**
 * One pass over a file: rows kept by the selection, rows per source collection and, with `key`,
 * the rows whose key the table already holds (looked up `LOOKUP_BATCH` keys at a time).
 */
async function scanFile(
  client: PoolClient,
  item: PreparedTable,
  columns: readonly string[],
  transform: RecordMapper,
  key: string | null,
  perCollection: Map<string, number>,
  signal: AbortSignal | undefined,
): Promise<{ rows: number; conflicts: { count: number; first_ids: string[] } | null }> {
  const sourceCollectionAt = item.header.indexOf(item.table === 'langchain_pg_collection' ? 'uuid' : 'collection_id');
  const keyAt = key === null ? -1 : columns.indexOf(key);
  let rows = 0;
  let count = 0;
  const first: string[] = [];
  let batch: string[] = [];
  const lookUp = async () => {
    if (batch.length === 0) return;
    const found = await query<{ key: string }>(client, selectExistingKeys(item.table, key!, batch));
    count += found.length;
    first.push(...found.map((f) => f.key).sort().slice(0, LISTED_CONFLICTS - first.length));
    batch = [];
  };
  await pipeline(openFileText(item), createCsvParser(), async (records: AsyncIterable<CsvField[]>) => {
    let header = true;
    for await (const record of records) {
      if (header) {
        header = false;
        continue;
      }
      const source = record[sourceCollectionAt] ?? '';
      const mapped = transform(record);
      if (mapped === null) continue;
      rows += 1;
      if (item.table === 'langchain_pg_embedding') perCollection.set(source, (perCollection.get(source) ?? 0) + 1);
      const value = keyAt >= 0 ? mapped[keyAt] : null;
      if (value === null || value === undefined) continue;
      batch.push(value);
      if (batch.length >= LOOKUP_BATCH) await lookUp();
    }
    await lookUp();
  }, { signal });
  return { rows, conflicts: key === null ? null : { count, first_ids: first } };
}
