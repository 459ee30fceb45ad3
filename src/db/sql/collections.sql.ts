import { quoteIdent, quoteIdentList } from '../identifiers.js';
import type { SqlQuery } from '../pool.js';

// The collections of a vector database and the staging of a restore under on_conflict (SPEC §7).

/** Every collection of the LangChain table (uuid as text), for selection and name matching. */
export function listCollections(): SqlQuery {
  return { text: /* SQL */ `SELECT uuid::text AS uuid, name FROM langchain_pg_collection ORDER BY name` };
}

/**
 * A restore's staging table: the target's columns and NOT NULL constraints, no keys, no indexes, no
 * generated expressions (LIKE copies none by default), dropped when the transaction ends.
 */
export function createStagingTable(staging: string, table: string): SqlQuery {
  return { text: /* SQL */ `CREATE TEMP TABLE ${quoteIdent(staging)} (LIKE ${quoteIdent(table)}) ON COMMIT DROP` };
}

/** Staged rows whose key the table already holds: what a skip leaves alone or an upsert updates. */
export function countStagedConflicts(staging: string, table: string, key: readonly string[]): SqlQuery {
  const join = key.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ');
  return {
    text: /* SQL */ `SELECT count(*)::int AS n FROM ${quoteIdent(staging)} s WHERE EXISTS (SELECT 1 FROM ${quoteIdent(table)} t WHERE ${join})`,
  };
}

/**
 * One INSERT … SELECT from the staging table: rows whose key exists are left alone (`skip`) or
 * take the staged values (`upsert`). Columns and key come from the catalog.
 */
export function mergeStagedRows(staging: string, table: string, columns: readonly string[], key: readonly string[], mode: 'skip' | 'upsert'): SqlQuery {
  const list = quoteIdentList(columns);
  const updates = columns.filter((c) => !key.includes(c)).map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`);
  const action = mode === 'upsert' && updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
  return {
    text: /* SQL */ `INSERT INTO ${quoteIdent(table)} (${list}) SELECT ${list} FROM ${quoteIdent(staging)} ON CONFLICT (${quoteIdentList(key)}) ${action}`,
  };
}

/** Which of `keys` the table holds in its (single-column) key: a dry run's conflict lookup. */
export function selectExistingKeys(table: string, keyColumn: string, keys: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `SELECT ${quoteIdent(keyColumn)}::text AS key FROM ${quoteIdent(table)} WHERE ${quoteIdent(keyColumn)}::text = ANY($1::text[])`,
    values: [keys],
  };
}
