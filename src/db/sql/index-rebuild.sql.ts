import { quoteIdent } from '../identifiers.js';
import type { SqlQuery } from '../pool.js';

export interface SecondaryIndexRow {
  table_name: string;
  schema_name: string;
  index_name: string;
  definition: string;
}

/**
 * The indexes of the given tables a restore may drop and rebuild: valid ones that no constraint
 * uses. `pg_constraint.conindid` names the index behind a primary key, a unique or exclusion
 * constraint, and the referenced index of a foreign key: those stay (dropping them would drop or
 * break the constraint). A plain unique index is rebuilt like any other (and still checked then).
 */
export function listSecondaryIndexes(tables: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT c.relname AS table_name, n.nspname AS schema_name, ic.relname AS index_name,
             pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = ic.relnamespace
       WHERE i.indrelid IN (SELECT to_regclass(name) FROM unnest($1::text[]) AS name)
         AND i.indisvalid AND NOT i.indisprimary
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
       ORDER BY c.relname, ic.relname`,
    values: [tables],
  };
}

/** Names of the relations in `table`'s schema that a new index could collide with. */
export function listRelationNamesBeside(table: string, names: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT r.relname AS name
        FROM pg_class r
       WHERE r.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass($1))
         AND r.relname = ANY($2::text[])`,
    values: [table, names],
  };
}

/** Whether a foreign key references `table` (then it cannot be truncated alone, so no COPY FREEZE). */
export function selectIsReferenced(table: string): SqlQuery {
  return {
    text: /* SQL */ `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = to_regclass($1)) AS referenced`,
    values: [table],
  };
}

/**
 * Which of the given tables this transaction created: their pg_class row was written by it (xmin
 * is the transaction's own id, the 32-bit part of the xid8). Run right after the creation step and
 * before anything else here rewrites those rows (TRUNCATE does). A table another session created
 * meanwhile (a training load, committed while this one waited for the schema lock) is not one.
 */
export function listTablesCreatedHere(tables: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT c.relname AS name
        FROM pg_class c
       WHERE c.oid IN (SELECT to_regclass(name) FROM unnest($1::text[]) AS name)
         AND c.xmin::text = (pg_current_xact_id_if_assigned()::text::numeric % 4294967296)::text`,
    values: [tables],
  };
}

/** `schema` and `index` come from the catalog (listSecondaryIndexes). */
export function dropIndex(schema: string, index: string): SqlQuery {
  return { text: /* SQL */ `DROP INDEX ${quoteIdent(schema)}.${quoteIdent(index)}` };
}

/**
 * SET takes no parameters: integers are checked before they are interpolated. SET LOCAL ends with
 * the restore's transaction, so the server's own settings are untouched afterwards.
 */
export function setLocalMaintenance(workMemMb: number, parallelWorkers: number): SqlQuery {
  for (const [name, n] of [['maintenance_work_mem', workMemMb], ['max_parallel_maintenance_workers', parallelWorkers]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`);
  }
  return {
    text: /* SQL */ `SET LOCAL maintenance_work_mem = '${workMemMb}MB'; SET LOCAL max_parallel_maintenance_workers = ${parallelWorkers}`,
  };
}

export function selectBackendPid(): SqlQuery {
  return { text: /* SQL */ `SELECT pg_backend_pid() AS pid` };
}

export interface CreateIndexProgressRow {
  phase: string;
  blocks_done: string;
  blocks_total: string;
  tuples_done: string;
  tuples_total: string;
}

/** The CREATE INDEX running in backend `pid`, read from another session. */
export function selectCreateIndexProgress(pid: number): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total
        FROM pg_stat_progress_create_index WHERE pid = $1`,
    values: [pid],
  };
}

/**
 * Gives a `vector` column the dimension a set recorded (`vector(1024)`): an HNSW or IVFFlat index
 * needs it, and the table a restore creates has an unconstrained column. Only for a table created
 * in this same transaction (empty); `column` comes from the catalog.
 */
export function setVectorDimension(table: string, column: string, dimension: number): SqlQuery {
  if (!Number.isSafeInteger(dimension) || dimension < 1) throw new RangeError(`vector dimension must be a positive integer, got ${dimension}`);
  return { text: /* SQL */ `ALTER TABLE ${quoteIdent(table)} ALTER COLUMN ${quoteIdent(column)} TYPE vector(${dimension})` };
}
