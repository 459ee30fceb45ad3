import type { TestDatabase } from './db.js';

export const COLLECTIONS = {
  sql: { uuid: 'f4e11877-44e7-4741-b511-fa0e2e399395', rows: 4, suffix: 'sql' },
  ddl: { uuid: 'f0b714ca-44a9-433a-8768-390740bd1a18', rows: 3, suffix: 'ddl' },
  documentation: { uuid: '98b97e3a-752d-4115-9667-7635687dbc1c', rows: 2, suffix: 'doc' },
} as const;

/**
 * Both LangChain tables with three collections (sql 4 rows, ddl 3, documentation 2), ids in the
 * pipeline's `<uuid>-sql|-ddl|-doc` form with `cmetadata.id` equal to the id, and 8-dimension
 * vectors at distinct angles (no two rows point the same way: each is its own nearest neighbour).
 */
export async function seedCollections(db: TestDatabase): Promise<void> {
  const values = Object.entries(COLLECTIONS).map(([name, c]) => `('${c.uuid}', '${name}', '{"origin": "seed"}')`).join(', ');
  const rows = Object.values(COLLECTIONS)
    .map((c, i) => `
      SELECT md5('${c.suffix}' || g)::uuid::text || '-${c.suffix}' AS id, '${c.uuid}'::uuid AS collection_id, ${i * 10} + g AS n
        FROM generate_series(1, ${c.rows}) AS g`)
    .join(' UNION ALL ');
  await db.query(`
    CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, cmetadata JSON);
    CREATE TABLE langchain_pg_embedding (id VARCHAR PRIMARY KEY, collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
      embedding VECTOR, document VARCHAR, cmetadata JSONB);
    INSERT INTO langchain_pg_collection VALUES ${values};
    INSERT INTO langchain_pg_embedding
    SELECT r.id, r.collection_id,
           ARRAY[cos(r.n * 0.7), sin(r.n * 0.7), cos(r.n * 1.3), sin(r.n * 1.3), cos(r.n * 0.3), sin(r.n * 0.3), 0.1 * r.n, 1]::real[]::vector,
           'document ' || r.n, jsonb_build_object('id', r.id, 'n', r.n)
      FROM (${rows}) AS r`);
}

/** md5 over the rows of the given collections (by uuid), ids included: equal digests mean identical rows. */
export async function collectionDigest(db: TestDatabase, uuids: readonly string[]): Promise<{ rows: number; digest: string }> {
  const [row] = await db.query<{ rows: number; digest: string }>(
    `SELECT count(*)::int AS rows,
            md5(coalesce(string_agg(id || collection_id::text || embedding::text || document || cmetadata::text, '|' ORDER BY id), '')) AS digest
       FROM langchain_pg_embedding WHERE collection_id = ANY($1::uuid[])`,
    [uuids],
  );
  return row!;
}
