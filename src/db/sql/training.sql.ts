import type { SqlQuery } from '../pool.js';

/** The four LangChain collections the pipeline writes (reference §9). */
export const COLLECTION_NAMES = ['sql', 'ddl', 'documentation', 'error_sql'] as const;

/** name → uuid of those of the four collections that exist. */
export function selectCollections(): SqlQuery {
  return {
    text: /* SQL */ `SELECT c.uuid::text, c.name FROM langchain_pg_collection c WHERE c.name = ANY($1::text[])`,
    values: [COLLECTION_NAMES],
  };
}

/**
 * Creates the missing collections with fresh UUIDs. Run under the schema lock, so two first loads
 * never both insert; ON CONFLICT DO NOTHING still covers writers that do not take that lock (the
 * original Python service), whatever unique index the table's layout has.
 */
export function insertMissingCollections(): SqlQuery {
  return {
    text: /* SQL */ `
      INSERT INTO langchain_pg_collection (uuid, name, cmetadata)
      SELECT gen_random_uuid(), w.name, NULL FROM unnest($1::text[]) AS w(name)
       WHERE NOT EXISTS (SELECT 1 FROM langchain_pg_collection c WHERE c.name = w.name)
      ON CONFLICT DO NOTHING`,
    values: [COLLECTION_NAMES],
  };
}

/** Rows an earlier load of the same task wrote: removed so a re-run replaces instead of duplicating. */
export function deleteTaskEmbeddings(taskId: string): SqlQuery {
  return { text: /* SQL */ `DELETE FROM langchain_pg_embedding WHERE cmetadata ->> 'task_id' = $1`, values: [taskId] };
}

/** One round trip per batch; vectors travel as pgvector text (`[0.1,…]`). */
export function insertEmbeddings(rows: { id: string; collectionId: string; vector: string; document: string; metadata: string }[]): SqlQuery {
  return {
    text: /* SQL */ `
      INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
      SELECT id, collection_id::uuid, vector::vector, document, metadata::jsonb
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, collection_id, vector, document, metadata)`,
    values: [rows.map((r) => r.id), rows.map((r) => r.collectionId), rows.map((r) => r.vector), rows.map((r) => r.document), rows.map((r) => r.metadata)],
  };
}

/** The declared dimension of the embedding column (`vector(1024)` → 1024), null when unconstrained. */
export function embeddingColumnType(): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a
       WHERE a.attrelid = to_regclass('langchain_pg_embedding') AND a.attname = 'embedding' AND NOT a.attisdropped`,
  };
}

export function countTaskEmbeddingsByCollection(taskId: string): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT c.name, count(*) AS n
        FROM langchain_pg_embedding e JOIN langchain_pg_collection c ON c.uuid = e.collection_id
       WHERE e.cmetadata ->> 'task_id' = $1
       GROUP BY c.name`,
    values: [taskId],
  };
}
