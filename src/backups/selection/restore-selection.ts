import { query, type PoolClient } from '../../db/pool.js';
import { listCollections } from '../../db/sql/collections.sql.js';
import type { CsvField } from '../../streams/csv-rows.js';
import type { TableLoadPlan } from '../restore/restore-plan.js';
import { readStoredManifest } from '../sets/backup-manifest.js';
import { openFileText } from '../restore/restore-checksum.js';
import type { StoreLocation } from '../stores/backup-store.js';
import type { BackupCatalog } from '../sets/backup-catalog.js';
import { formatOfFile, type BackupFormat, type VectorTable } from '../sets/set-naming.js';
import { CollectionRemap, type CollectionRef, type RenameOptions } from './collection-remap.js';
import { loadWithConflictPolicy, type LoadCounts } from './conflict-load.js';
import { readSetCollections } from './set-collections.js';

/** The set's collections, read before the restore's transaction (files only, no database). */
export async function setCollectionsOf(catalog: BackupCatalog, location: StoreLocation, timestamp: string): Promise<CollectionRef[]> {
  const { store } = catalog;
  const found = await catalog.findFile(location, 'langchain_pg_collection', timestamp);
  // A binary set's collections come from its manifest (which such a set always has), not its .bin file.
  const file = found !== null && formatOfFile(found.name) === 'csv' ? found : null;
  const open = file && (() => openFileText({ file: file.name, store, location }));
  return readSetCollections(open, file === null ? await readStoredManifest(store, location, timestamp) : null);
}

/**
 * The selection, renames and conflict policy of one restore, inside its transaction (SPEC §7).
 * The restore service calls three hooks: `adjustPlan` (rows are filtered and remapped on the
 * parsing path; an unchanged table keeps the raw fast path), `load` (the conflict policy around
 * the COPY) and `report`.
 */
export class RestoreSelection {
  private readonly excluded = new Map<VectorTable, number>();
  /** The collection rows of a binary file are loaded with ON CONFLICT DO NOTHING (live ones are the set's own). */
  private skipLiveCollections = false;

  private constructor(
    readonly remap: CollectionRemap,
    private readonly options: RenameOptions,
    private readonly truncated: boolean,
  ) {}

  /**
   * Plans against the live collections, read after any truncate of this transaction. A renamed
   * collection that already exists is refused here (409) unless on_conflict allows it.
   */
  static async prepare(client: PoolClient, setCollections: readonly CollectionRef[], options: RenameOptions, truncated: boolean): Promise<RestoreSelection> {
    const live = await query<CollectionRef>(client, listCollections());
    const remap = CollectionRemap.plan(setCollections, live, options);
    remap.assertNoRenameConflict(options.onConflict ?? 'error');
    return new RestoreSelection(remap, options, truncated);
  }

  /**
   * The table's load plan with the collection mapping composed after its own fix-ups (the same
   * plan when nothing changes). A binary collection file whose live collections are the set's own
   * (`liveAsIs`) keeps its plan and skips them on conflict instead (see load()).
   */
  adjustPlan(table: VectorTable, plan: TableLoadPlan, format: BackupFormat = 'csv'): TableLoadPlan {
    const mapper = table === 'langchain_pg_collection' ? this.remap.collectionMapper(plan.columns) : this.remap.embeddingMapper(plan.columns);
    if (mapper === null) return plan;
    if (format === 'binary' && table === 'langchain_pg_collection' && this.remap.liveAsIs) {
      this.skipLiveCollections = true;
      return plan;
    }
    const transform = (record: CsvField[]): CsvField[] | null => {
      const fixed = plan.slowTransform(record);
      const mapped = fixed === null ? null : mapper(fixed);
      if (mapped === null) this.excluded.set(table, (this.excluded.get(table) ?? 0) + 1);
      return mapped;
    };
    return { ...plan, transform, slowTransform: transform, reason: plan.reason === 'raw' ? 'collection_mapping' : plan.reason };
  }

  /**
   * Loads one table under the conflict policy. Collections matched by name are never loaded (the
   * mapper drops them), so only the embeddings can conflict; a truncated table cannot.
   */
  async load<R extends { count: number }>(
    client: PoolClient,
    table: VectorTable,
    columns: readonly string[],
    loadInto: (table: string) => Promise<R>,
  ): Promise<R & LoadCounts & { rows_excluded?: number }> {
    const collectionMode = this.skipLiveCollections ? 'skip' : 'error';
    const mode = this.truncated ? 'error' : table === 'langchain_pg_collection' ? collectionMode : (this.options.onConflict ?? 'error');
    let loaded: R | undefined;
    const counts = await loadWithConflictPolicy(client, table, columns, mode, async (into) => (loaded = await loadInto(into)));
    const excluded = this.excluded.get(table);
    return { ...loaded!, ...counts, ...(excluded !== undefined && this.remap.filtered ? { rows_excluded: excluded } : {}) };
  }

  report(): ReturnType<CollectionRemap['report']> {
    return this.remap.report();
  }
}
