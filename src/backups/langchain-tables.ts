import { query, type PoolClient } from '../db/pool.js';
import {
  createCollectionTable,
  createEmbeddingTable,
  createVectorExtension,
  listTableColumns,
  lockVectorSchema,
  selectVectorExtensionVersion,
  type ColumnRow,
} from '../db/sql/vector-tables.sql.js';
import { COLLECTION_NAMES, insertMissingCollections, selectCollections } from '../db/sql/training.sql.js';
import { VECTOR_TABLES, type VectorTable } from './sets/set-naming.js';

export interface TableColumn {
  name: string;
  dataType: string;
  typeName: string;
  generated: boolean;
  notNull: boolean;
  hasDefault: boolean;
}

export type VectorTableColumns = Map<VectorTable, TableColumn[]>;

/** Columns of the LangChain tables that exist in the connected database (absent tables are absent). */
export async function readVectorTableColumns(client: PoolClient): Promise<VectorTableColumns> {
  const rows = await query<ColumnRow>(client, listTableColumns(VECTOR_TABLES));
  const out: VectorTableColumns = new Map();
  for (const row of rows) {
    const table = row.table_name as VectorTable;
    if (!VECTOR_TABLES.includes(table)) continue;
    const columns = out.get(table) ?? [];
    columns.push({
      name: row.column_name,
      dataType: row.data_type,
      typeName: row.type_name,
      generated: row.generated,
      notNull: row.not_null,
      hasDefault: row.has_default,
    });
    out.set(table, columns);
  }
  return out;
}

/** Columns a COPY can write or read as data: generated columns (e.g. `document_vector`) are derived. */
export function copyableColumns(columns: readonly TableColumn[]): string[] {
  return columns.filter((c) => !c.generated).map((c) => c.name);
}

/**
 * Creates the `vector` extension and the langchain-postgres tables when missing, inside the
 * caller's transaction (so a failed restore leaves no empty tables behind).
 *
 * Two first loads into an empty database would both see "missing" and both CREATE; the second
 * then fails with 23505 on the `vector` type or a table's row type once the first commits (IF NOT
 * EXISTS does not cover an uncommitted twin). So creation runs under a transaction-level advisory
 * lock and re-checks after getting it. The lock is taken only when something is missing: a
 * restore of an existing schema never holds it (and never makes a training load wait for it).
 * Needs READ COMMITTED, where the re-check sees what the lock holder committed.
 */
export async function ensureVectorTables(client: PoolClient): Promise<VectorTableColumns> {
  const existing = await readVectorTableColumns(client);
  if (existing.size === VECTOR_TABLES.length) return existing;
  await client.query(lockVectorSchema().text, lockVectorSchema().values);
  const installed = await query(client, selectVectorExtensionVersion());
  // CREATE EXTENSION needs privileges that a restore target may not grant; skip it when present.
  if (installed.length === 0) await client.query(createVectorExtension().text);
  const current = await readVectorTableColumns(client);
  // Existing tables are used as they are (older layouts included): only missing ones are created.
  if (!current.has('langchain_pg_collection')) await client.query(createCollectionTable().text);
  if (!current.has('langchain_pg_embedding')) await client.query(createEmbeddingTable().text);
  return current.size === VECTOR_TABLES.length ? current : readVectorTableColumns(client);
}

/** name → uuid of the pipeline's collections, creating the missing ones (same lock as the tables). */
export async function ensureCollections(client: PoolClient): Promise<Map<string, string>> {
  const read = async () => new Map((await query<{ uuid: string; name: string }>(client, selectCollections())).map((r) => [r.name, r.uuid]));
  const found = await read();
  if (found.size === COLLECTION_NAMES.length) return found;
  await client.query(lockVectorSchema().text, lockVectorSchema().values);
  await client.query(insertMissingCollections().text, insertMissingCollections().values);
  return read();
}
