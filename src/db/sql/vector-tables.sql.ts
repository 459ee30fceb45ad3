import { quoteIdent, quoteIdentList } from '../identifiers.js';
import type { SqlQuery } from '../pool.js';

/** Both advisory-lock keys of "the vector writer" of a database (restore, truncate). */
const WRITER_LOCK = [8084, 2] as const;
/** Advisory-lock keys of "creating the vector schema" (extension, tables, collections) in a database. */
const SCHEMA_LOCK = [8084, 3] as const;

export interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  type_name: string;
  generated: boolean;
  not_null: boolean;
  has_default: boolean;
}

/** Columns of the given tables as the catalog knows them (search_path resolution, like unqualified SQL). */
export function listTableColumns(tables: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT c.relname AS table_name,
             a.attname AS column_name,
             format_type(a.atttypid, a.atttypmod) AS data_type,
             t.typname AS type_name,
             a.attgenerated <> '' AS generated,
             a.attnotnull AS not_null,
             a.atthasdef AS has_default
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_type t ON t.oid = a.atttypid
       WHERE c.oid IN (SELECT to_regclass(name) FROM unnest($1::text[]) AS name)
         AND a.attnum > 0
         AND NOT a.attisdropped
       ORDER BY c.relname, a.attnum`,
    values: [tables],
  };
}

export function selectVectorExtensionVersion(): SqlQuery {
  return { text: /* SQL */ `SELECT extversion FROM pg_extension WHERE extname = 'vector'` };
}

export function selectVectorExtensionAvailable(): SqlQuery {
  return { text: /* SQL */ `SELECT default_version FROM pg_available_extensions WHERE name = 'vector'` };
}

export function createVectorExtension(): SqlQuery {
  return { text: /* SQL */ `CREATE EXTENSION IF NOT EXISTS vector` };
}

/** The langchain-postgres layout (reference §9), used when a restore target has no tables yet. */
export function createCollectionTable(): SqlQuery {
  return {
    text: /* SQL */ `
      CREATE TABLE IF NOT EXISTS langchain_pg_collection (
        uuid UUID PRIMARY KEY,
        name VARCHAR NOT NULL UNIQUE,
        cmetadata JSON
      )`,
  };
}

export function createEmbeddingTable(): SqlQuery {
  return {
    text: /* SQL */ `
      CREATE TABLE IF NOT EXISTS langchain_pg_embedding (
        id VARCHAR PRIMARY KEY,
        collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
        embedding VECTOR,
        document VARCHAR,
        cmetadata JSONB
      );
      CREATE INDEX IF NOT EXISTS ix_cmetadata_gin ON langchain_pg_embedding USING gin (cmetadata jsonb_path_ops);`,
  };
}

/** `table` must come from the catalog (listTableColumns). */
export function countRows(table: string): SqlQuery {
  return { text: /* SQL */ `SELECT count(*) AS n FROM ${quoteIdent(table)}` };
}

export function truncateTables(tables: readonly string[]): SqlQuery {
  return { text: /* SQL */ `TRUNCATE TABLE ${quoteIdentList(tables)}` };
}

/**
 * `SET LOCAL lock_timeout`: a utility statement, so (unlike `SELECT set_config(…)`) it takes no
 * snapshot and may precede the LOCK TABLE of a REPEATABLE READ transaction. SET takes no
 * parameters, hence the integer check before interpolating.
 */
export function setLocalLockTimeout(ms: number): SqlQuery {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`lock_timeout must be a non-negative integer of ms, got ${ms}`);
  return { text: /* SQL */ `SET LOCAL lock_timeout = ${ms}` };
}

/** Blocks writers (not readers) until the transaction ends; must be the first statement of it. */
export function lockVectorTablesShared(): SqlQuery {
  return { text: /* SQL */ `LOCK TABLE langchain_pg_collection, langchain_pg_embedding IN SHARE MODE` };
}

/**
 * Conflicts only with ACCESS EXCLUSIVE (TRUNCATE, DROP): a backup holding it from before its
 * snapshot can never see a table emptied by a TRUNCATE that committed after that snapshot
 * (TRUNCATE is not MVCC-safe). LOCK takes no snapshot, so it can come first.
 */
export function lockVectorTablesForRead(): SqlQuery {
  return { text: /* SQL */ `LOCK TABLE langchain_pg_collection, langchain_pg_embedding IN ACCESS SHARE MODE` };
}

/** Serialises creating the extension, tables and collections; released at COMMIT/ROLLBACK. */
export function lockVectorSchema(): SqlQuery {
  return { text: /* SQL */ `SELECT pg_advisory_xact_lock($1, $2)`, values: [...SCHEMA_LOCK] };
}


/** Transaction-scoped, so a crash or rollback can never leave the lock held. */
export function tryVectorWriterLock(): SqlQuery {
  return { text: /* SQL */ `SELECT pg_try_advisory_xact_lock($1, $2) AS locked`, values: [...WRITER_LOCK] };
}

/** The whole table, or with `filter` only the rows it selects (a backup of some collections). */
export function copyTableToCsv(table: string, columns: readonly string[], filter?: UuidRowFilter): string {
  if (filter) {
    const select = `SELECT ${quoteIdentList(columns)} FROM ${quoteIdent(table)} WHERE ${uuidFilterCondition(filter)}`;
    return /* SQL */ `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
  }
  return /* SQL */ `COPY ${quoteIdent(table)} (${quoteIdentList(columns)}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
}

/** PostgreSQL's binary COPY format (SPEC §7 `format: "binary"`): typed values, no text parsing. */
export function copyTableToBinary(table: string, columns: readonly string[], filter?: UuidRowFilter): string {
  if (filter) {
    const select = `SELECT ${quoteIdentList(columns)} FROM ${quoteIdent(table)} WHERE ${uuidFilterCondition(filter)}`;
    return /* SQL */ `COPY (${select}) TO STDOUT WITH (FORMAT binary)`;
  }
  return /* SQL */ `COPY ${quoteIdent(table)} (${quoteIdentList(columns)}) TO STDOUT WITH (FORMAT binary)`;
}

/**
 * COPY FROM STDIN of a CSV file with a header, or of a binary COPY file. `freeze` writes the rows
 * already frozen (no hint-bit rewrite or freeze vacuum later): legal only when the table was
 * created or truncated in the current subtransaction (see db/copy.ts).
 */
export function copyTableFromStdin(table: string, columns: readonly string[], options: { binary?: boolean; freeze?: boolean } = {}): string {
  const settings = [options.binary ? 'FORMAT binary' : 'FORMAT csv, HEADER true', ...(options.freeze ? ['FREEZE true'] : [])];
  return /* SQL */ `COPY ${quoteIdent(table)} (${quoteIdentList(columns)}) FROM STDIN WITH (${settings.join(', ')})`;
}

/** TRUNCATE of a table without its inheritors (a COPY FREEZE's own subtransaction re-truncates it). */
export function truncateOnly(table: string): SqlQuery {
  return { text: /* SQL */ `TRUNCATE ONLY ${quoteIdent(table)}` };
}

/** The embedded database's load of header-less CSV chunks (see EmbeddedPostgres.copyFromBlob). */
export function copyTableFromBlob(table: string, columns: readonly string[]): string {
  return /* SQL */ `COPY ${quoteIdent(table)} (${quoteIdentList(columns)}) FROM '/dev/blob' WITH (FORMAT csv)`;
}

export function savepoint(name: string): SqlQuery {
  return { text: `SAVEPOINT ${quoteIdent(name)}` };
}

export function rollbackToSavepoint(name: string): SqlQuery {
  return { text: `ROLLBACK TO SAVEPOINT ${quoteIdent(name)}` };
}

export function releaseSavepoint(name: string): SqlQuery {
  return { text: `RELEASE SAVEPOINT ${quoteIdent(name)}` };
}

/**
 * Rows of a COPY limited to some UUIDs of one column (a backup of selected collections). COPY
 * (query) takes no parameters, so the values are inlined: each must be a canonical UUID (checked
 * here, so no quote can reach the SQL text) and is cast to uuid. The column comes from the catalog.
 */
export interface UuidRowFilter {
  column: string;
  uuids: readonly string[];
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `"column" IN ('…'::uuid, …)`, or `false` for an empty selection (nothing matches). */
export function uuidFilterCondition(filter: UuidRowFilter): string {
  for (const value of filter.uuids) {
    if (!UUID_PATTERN.test(value)) throw new RangeError(`not a UUID: ${JSON.stringify(value)}`);
  }
  if (filter.uuids.length === 0) return 'false';
  return `${quoteIdent(filter.column)} IN (${filter.uuids.map((u) => `'${u.toLowerCase()}'::uuid`).join(', ')})`;
}
