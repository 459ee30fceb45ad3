import { query, type PoolClient } from '../../db/pool.js';
import { listCollections } from '../../db/sql/collections.sql.js';
import type { UuidRowFilter } from '../../db/sql/vector-tables.sql.js';
import type { VectorTable } from '../sets/set-naming.js';
import { collectionFilterOf, type CollectionSelection } from './collection-filter.js';

/** The collections a backup copies: their UUIDs, and each table's row filter. */
export interface BackupCollections {
  uuids: ReadonlySet<string>;
  rowFilter(table: VectorTable): UuidRowFilter;
}

/**
 * Resolves `include` / `exclude` to collection UUIDs inside the backup's snapshot (so the names,
 * the COPYs and the manifest agree), or null when the whole tables are copied. COPY (query) takes
 * no parameters: the UUIDs are inlined by the SQL builder, which accepts canonical UUIDs only.
 */
export async function resolveBackupCollections(client: PoolClient, selection: CollectionSelection): Promise<BackupCollections | null> {
  const matches = collectionFilterOf(selection);
  if (matches === null) return null;
  const all = await query<{ uuid: string; name: string }>(client, listCollections());
  const uuids = all.filter((c) => matches(c.name)).map((c) => c.uuid);
  return {
    uuids: new Set(uuids),
    rowFilter: (table) => ({ column: table === 'langchain_pg_collection' ? 'uuid' : 'collection_id', uuids }),
  };
}
