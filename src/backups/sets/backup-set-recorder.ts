import { createGzip } from 'node:zlib';
import { hostOf } from '../../db/connection-string.js';
import { query, type PoolClient } from '../../db/pool.js';
import {
  countRowsPerCollection,
  listIndexDefinitions,
  selectBackupSource,
  selectVectorDimension,
} from '../../db/sql/backup-manifest.sql.js';
import { localIsoTimestamp } from '../../lib/time.js';
import { createBinaryCopyCounter } from '../../streams/binary-copy-counter.js';
import { createSha256Tap, type Sha256Tap } from '../../streams/sha256-tap.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { MANIFEST_FORMAT_VERSION, writeStoredManifest, type BackupManifest, type Compression, type ManifestTableEntry } from './backup-manifest.js';
import type { TableColumn, VectorTableColumns } from '../langchain-tables.js';
import { backupFileName, VECTOR_TABLES, type BackupFormat, type VectorTable } from './set-naming.js';

export interface BackupSetOptions {
  /** Where the set is written (its data files and then its manifest). */
  store: BackupStore;
  location: StoreLocation;
  timestamp: string;
  compression?: Compression;
  /** `binary`: PostgreSQL binary COPY files (`.bin`), default csv. */
  format?: BackupFormat;
  label?: string;
  /** The database's connection string, already redacted: only its host goes into the manifest. */
  databaseLabel: string;
}

/**
 * Everything a backup records about its set beyond the COPY itself: the compression and hashing
 * stages of each table's pipeline, the facts read from the backup's snapshot (collections, indexes,
 * source), and the manifest written last as the commit marker. One per backup run.
 */
export class BackupSetRecorder {
  private readonly taps = new Map<VectorTable, Sha256Tap>();
  private readonly tupleCounts = new Map<VectorTable, () => number>();
  private readonly tables: ManifestTableEntry[] = [];
  private facts: Pick<BackupManifest, 'source' | 'collections'> | null = null;
  private manifestName: string | null = null;
  readonly compression: Compression;
  readonly format: BackupFormat;

  constructor(private readonly options: BackupSetOptions) {
    this.compression = options.compression ?? 'none';
    this.format = options.format ?? 'csv';
  }

  fileName(table: VectorTable): string {
    return backupFileName(table, this.options.timestamp, this.compression === 'gzip', this.format);
  }

  /**
   * The stages between the COPY (batched) and the file sink: gzip when asked, then the hash, so the
   * checksum and byte count are those of the file on disk, computed while it is written.
   */
  stages(table: VectorTable): NodeJS.ReadWriteStream[] {
    const tap = createSha256Tap();
    this.taps.set(table, tap);
    const compressed = this.compression === 'gzip' ? [createGzip(), tap] : [tap];
    if (this.format !== 'binary') return compressed;
    // A binary file's rows are counted as they stream by, as verify counts them from the file.
    const tuples = createBinaryCopyCounter();
    this.tupleCounts.set(table, () => tuples.tuples());
    return [tuples, ...compressed];
  }

  /** After a table's pipeline has finished: its manifest entry; returns what the reply adds per table. */
  recordTable(table: VectorTable, rows: number, columns: readonly TableColumn[]): { bytes: number; sha256: string } {
    const tap = this.taps.get(table)!;
    const sha256 = tap.sha256()!;
    this.tables.push({
      table,
      file: this.fileName(table),
      columns: columns.filter((c) => !c.generated).map((c) => ({ name: c.name, type: c.dataType })),
      rows: this.tupleCounts.get(table)?.() ?? rows,
      bytes: tap.bytes(),
      sha256,
      vector_dimension: null,
      indexes: [],
    });
    return { bytes: tap.bytes(), sha256 };
  }

  /**
   * Reads, inside the backup's REPEATABLE READ transaction (the same snapshot as the COPYs), the
   * rows per collection, the index definitions, the vector dimension and the server's versions.
   * `selected`: the collections a selective backup copied (the manifest lists only those).
   */
  async readSnapshotFacts(client: PoolClient, columns: VectorTableColumns, selected?: ReadonlySet<string>): Promise<void> {
    const [source] = await query<{ database: string; server_version: string; pgvector_version: string | null }>(client, selectBackupSource());
    const indexes = await query<{ table_name: string; definition: string }>(client, listIndexDefinitions(VECTOR_TABLES));
    for (const entry of this.tables) {
      entry.indexes = indexes.filter((i) => i.table_name === entry.table).map((i) => i.definition);
      const table = entry.table as VectorTable;
      entry.vector_dimension = await vectorDimension(client, table, columns.get(table) ?? []);
    }
    const has = (table: VectorTable, name: string) => (columns.get(table) ?? []).some((c) => c.name === name);
    const collections =
      has('langchain_pg_collection', 'uuid') && has('langchain_pg_collection', 'name') && has('langchain_pg_embedding', 'collection_id')
        ? await query<{ uuid: string; name: string; rows: number }>(client, countRowsPerCollection())
        : [];
    this.facts = {
      source: {
        database: source?.database ?? null,
        host: hostOrNull(this.options.databaseLabel),
        server_version: source?.server_version ?? null,
        pgvector_version: source?.pgvector_version ?? null,
      },
      collections: collections.filter((c) => selected?.has(c.uuid) ?? true).map((c) => ({ uuid: c.uuid, name: c.name, rows: Number(c.rows) })),
    };
  }

  /** Writes the manifest (after the data files are committed to the store: durable, with their names). */
  async commit(): Promise<string> {
    const manifest: BackupManifest = {
      format_version: MANIFEST_FORMAT_VERSION,
      created_at: localIsoTimestamp(),
      label: this.options.label ?? null,
      source: this.facts!.source,
      format: this.format,
      compression: this.compression,
      tables: this.tables,
      collections: this.facts!.collections,
    };
    this.manifestName = await writeStoredManifest(this.options.store, this.options.location, this.options.timestamp, manifest);
    return this.manifestName;
  }

  /**
   * A failed backup whose data files were already committed but whose manifest was never written:
   * those files are removed too, so no uncommitted set is left looking like a legacy one.
   */
  async discardUncommitted(): Promise<void> {
    if (this.manifestName !== null) return;
    await this.options.store.delete(this.options.location, VECTOR_TABLES.map((t) => this.fileName(t)));
  }

  /** What the backup reply adds about the set. */
  summary(): { manifest_file: string | null; format: BackupFormat; compression: Compression; label: string | null } {
    return { manifest_file: this.manifestName, format: this.format, compression: this.compression, label: this.options.label ?? null };
  }
}

async function vectorDimension(client: PoolClient, table: VectorTable, columns: readonly TableColumn[]): Promise<number | null> {
  const vector = columns.find((c) => c.typeName === 'vector' && !c.generated);
  if (!vector) return null;
  // `vector(1024)` carries it in the type; an unconstrained `vector` column only in its values.
  const typed = /\((\d+)\)/.exec(vector.dataType);
  if (typed) return Number(typed[1]);
  const [row] = await query<{ dims: number }>(client, selectVectorDimension(table, vector.name));
  return row ? Number(row.dims) : null;
}

function hostOrNull(label: string): string | null {
  try {
    return hostOf(label) || null;
  } catch {
    return null;
  }
}
