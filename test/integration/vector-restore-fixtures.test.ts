import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeFixtureApp, FIXTURE_SETS, openFixtureApp, type TestApp } from '../helpers/app.js';
import { readCsvObjects, parseVector } from '../helpers/csv.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** What Python's dict repr of these fixtures means as JSON (ids hold no quotes, values are None). */
function pythonReprToExpectedJson(text: string): unknown {
  return JSON.parse(text.replaceAll("'", '"').replaceAll('None', 'null'));
}

describe('restoring the original service backups unchanged', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => ({ db, t } = await openFixtureApp()));
  afterAll(() => closeFixtureApp({ db, t }));

  for (const set of FIXTURE_SETS) {
    it(`restores ${set.dir} (${set.embeddings} embeddings) and matches the CSV row for row`, async () => {
      const res = await request(t.app)
        .post('/api/v0/data_pipeline/vector/restore')
        .send({
          backup_path: `./data_pipeline/training_data/${set.dir}`,
          timestamp: set.timestamp,
          truncate_before_restore: true,
        })
        .expect(200);

      expect(res.body).toMatchObject({ success: true, code: 200, message: '操作成功' });
      expect(res.body.data.response).toBe('Vector表恢复完成');
      expect(res.body.data.restore_results.langchain_pg_collection.rows_restored).toBe(set.collections);
      expect(res.body.data.restore_results.langchain_pg_embedding.rows_restored).toBe(set.embeddings);
      expect(res.body.data.errors).toEqual([]);

      const dir = path.join(t.dataRoot, set.dir);
      const collections = readCsvObjects(path.join(dir, `langchain_pg_collection_${set.timestamp}.csv`));
      const dbCollections = await db.query('SELECT uuid::text, name, cmetadata::text FROM langchain_pg_collection ORDER BY name');
      expect(dbCollections.map((r) => [r.uuid, r.name, r.cmetadata])).toEqual(
        collections.map((c) => [c.uuid, c.name, null]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      );

      const embeddings = readCsvObjects(path.join(dir, `langchain_pg_embedding_${set.timestamp}.csv`));
      expect(embeddings).toHaveLength(set.embeddings);
      const rows = await db.query(
        'SELECT id, collection_id::text, embedding::text, document, cmetadata, vector_dims(embedding) AS dims FROM langchain_pg_embedding',
      );
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      expect(byId.size).toBe(set.embeddings);
      for (const row of embeddings) {
        const stored = byId.get(row.id!)!;
        expect(stored, row.id).toBeDefined();
        expect(stored.collection_id).toBe(row.collection_id);
        expect(stored.document).toBe(row.document);
        expect(stored.cmetadata).toEqual(pythonReprToExpectedJson(row.cmetadata!));
        expect(stored.dims).toBe(1024);
        const expected = parseVector(row.embedding!);
        const actual = parseVector(stored.embedding);
        expect(actual).toHaveLength(expected.length);
        // pgvector stores float4: compare at float32 precision.
        actual.forEach((v, i) => expect(Math.fround(v)).toBe(Math.fround(expected[i]!)));
      }
    });
  }

  // Embedded test databases take loads in-process only; pg_conn would send COPY FROM STDIN over a socket.
  it.skipIf(embeddedTestMode())('restores into a database given by pg_conn, creating the extension and tables there', async () => {
    const target = await createTestDatabase({ fromTemplate: false });
    try {
      const res = await request(t.app)
        .post('/api/v0/data_pipeline/vector/restore')
        .send({
          backup_path: './data_pipeline/training_data/vector_bak',
          timestamp: '20250722_010318',
          pg_conn: target.url,
          truncate_before_restore: true,
        })
        .expect(200);
      expect(res.body.data.restore_results.langchain_pg_embedding.rows_restored).toBe(62);
      const [count] = await target.query('SELECT count(*)::int AS n FROM langchain_pg_embedding');
      expect(count!.n).toBe(62);
      const [ext] = await target.query(`SELECT extname FROM pg_extension WHERE extname = 'vector'`);
      expect(ext).toBeDefined();
    } finally {
      await target.drop();
    }
  });

  it('restores only the embedding table when asked, leaving collections as they are', async () => {
    await db.query('TRUNCATE langchain_pg_collection, langchain_pg_embedding');
    await request(t.app)
      .post('/api/v0/data_pipeline/vector/restore')
      .send({ backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318', tables: ['langchain_pg_collection'] })
      .expect(200);
    const res = await request(t.app)
      .post('/api/v0/data_pipeline/vector/restore')
      .send({
        backup_path: './data_pipeline/training_data/vector_bak',
        timestamp: '20250722_010318',
        tables: ['langchain_pg_embedding'],
        truncate_before_restore: false,
      })
      .expect(200);
    expect(Object.keys(res.body.data.restore_results)).toEqual(['langchain_pg_embedding']);
    expect(res.body.data.truncate_results).toEqual({});
    const [n] = await db.query('SELECT (SELECT count(*) FROM langchain_pg_collection)::int AS c, (SELECT count(*) FROM langchain_pg_embedding)::int AS e');
    expect(n).toEqual({ c: 4, e: 62 });
  });
});
