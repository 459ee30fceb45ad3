import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedPostgres } from '../../src/db/embedded/embedded-postgres.js';
import { createCollectionTable, createEmbeddingTable } from '../../src/db/sql/vector-tables.sql.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { embeddedByUrl } from '../helpers/db.js';

/** Every COPY statement PGlite ran, with the bytes of its reply and the event-loop turns around it. */
interface CopyRun {
  bytes: number;
  turnsAtStart: number;
  turnsAtEnd: number;
}

/**
 * An embedded database in this process, as main.ts runs it, so the test can watch what PGlite
 * executes (each socket message is one `execProtocolRawStream` call, run synchronously in WASM).
 */
describe('embedded database in-process', () => {
  let dir: string;
  let embedded: EmbeddedPostgres;
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-embedded-inproc-'));
    embedded = await EmbeddedPostgres.start(path.join(dir, 'pgdata'), pino({ level: 'silent' }));
    embeddedByUrl.set(embedded.url, embedded);
    port = Number(new URL(embedded.url).port);
    await embedded.pglite.exec(`${createCollectionTable().text}; ${createEmbeddingTable().text}`);
    t = await createTestApp(embedded.url, { DB_POOL_MAX: '1' });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    embeddedByUrl.delete(embedded?.url);
    await embedded?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a backup reads the table in bounded COPY batches, letting the event loop run between them', async () => {
    // 600 rows of ~12 kB CSV each (~7 MB): several 1 MiB batches. The keys hold a quote and a
    // backslash: batch bounds are inlined as literals.
    await embedded.pglite.exec(`
      INSERT INTO langchain_pg_collection VALUES ('6f1c2a52-0d6b-4c1e-9a55-000000000001', 'c', '{}');
      INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
      SELECT 'doc''s\\' || g, '6f1c2a52-0d6b-4c1e-9a55-000000000001', array_fill(g::real / 7, ARRAY[256])::vector,
             repeat(md5(g::text), 300), jsonb_build_object('n', g)
        FROM generate_series(1, 600) AS g;`);

    let turns = 0;
    let watching = true;
    const turn = () => {
      turns++;
      if (watching) setImmediate(turn);
    };
    setImmediate(turn);
    const copies: CopyRun[] = [];
    const pglite = embedded.pglite;
    const original = pglite.execProtocolRawStream.bind(pglite);
    pglite.execProtocolRawStream = async (message, options) => {
      const isCopy = message[0] === 0x51 /* Query */ && Buffer.from(message).toString('utf8').includes('COPY');
      const run: CopyRun = { bytes: 0, turnsAtStart: turns, turnsAtEnd: 0 };
      const result = await original(message, {
        ...options,
        onRawData: (data) => {
          run.bytes += data.length;
          options?.onRawData?.(data);
        },
      });
      run.turnsAtEnd = turns;
      if (isCopy) copies.push(run);
      return result;
    };
    try {
      const res = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({});
      expect(res.status).toBe(200);
      expect(res.body.data.tables_backed_up.langchain_pg_embedding.row_count).toBe(600);
    } finally {
      watching = false;
      pglite.execProtocolRawStream = original;
    }

    const dirName = path.join(t.dataRoot, 'vector_bak');
    const file = fs.readdirSync(dirName).find((f) => f.startsWith('langchain_pg_embedding_') && f.endsWith('.csv'))!;
    const text = fs.readFileSync(path.join(dirName, file), 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines[0]).toBe('id,collection_id,embedding,document,cmetadata');
    expect(lines.filter((l) => l.startsWith('id,'))).toHaveLength(1);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(600);

    const size = Buffer.byteLength(text);
    expect(size).toBeGreaterThan(6 * 1024 * 1024);
    // The embedding table alone needs several batches; no single COPY reply holds more than a
    // small part of the table (before: one reply of the whole file).
    const biggest = Math.max(...copies.map((c) => c.bytes));
    expect(copies.length).toBeGreaterThanOrEqual(5);
    expect(biggest).toBeLessThan(size / 3);
    // Between two batches the event loop turned (HTTP and heartbeats get served).
    for (let i = 1; i < copies.length; i++) expect(copies[i]!.turnsAtStart).toBeGreaterThan(copies[i - 1]!.turnsAtEnd);
  });

  it('restoring that backup loads it in bounded in-process chunks, every row back', async () => {
    const timestamp = (await request(t.app).get('/api/v0/data_pipeline/vector/restore/list').expect(200)).body.data.backup_locations[0].backups[0]
      .timestamp as string;
    const chunks: number[] = [];
    const original = embedded.copyFromBlob.bind(embedded);
    embedded.copyFromBlob = async (sql, csv) => {
      chunks.push(Buffer.byteLength(csv));
      return original(sql, csv);
    };
    try {
      const res = await request(t.app)
        .post('/api/v0/data_pipeline/vector/restore')
        .send({ backup_path: './data_pipeline/training_data/vector_bak', timestamp, truncate_before_restore: true });
      expect(res.status).toBe(200);
      expect(res.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: 600, load_path: 'embedded_chunks' });
    } finally {
      embedded.copyFromBlob = original;
    }
    const total = chunks.reduce((a, b) => a + b, 0);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...chunks)).toBeLessThan(total / 3);
    const [row] = (await embedded.pglite.query<{ n: number; docs: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT document)::int AS docs FROM langchain_pg_embedding`,
    )).rows;
    expect(row).toEqual({ n: 600, docs: 600 });
  });

  it('a request naming the embedded socket by any loopback spelling shares its single connection', () => {
    const spellings = [
      `postgresql://postgres@localhost:${port}/postgres`,
      `postgresql://postgres:secret@LOCALHOST:${port}/postgres`,
      `postgresql://postgres@[::1]:${port}/postgres`,
      `postgresql://postgres@127.0.0.2:${port}/postgres`,
      `postgresql://postgres@127.1:${port}/postgres`,
      `postgresql://postgres@db.example.com/postgres?host=localhost&port=${port}`,
    ];
    for (const url of spellings) {
      expect(t.databases.vectorDatabase(url, 'pg_conn').pool, url).toBe(t.databases.vector);
      expect(t.databases.businessDatabase(url).pool, url).toBe(t.databases.business);
    }
    // Another port on the loopback is another server: a pool of its own.
    expect(t.databases.vectorDatabase(`postgresql://postgres@localhost:${port + 1}/postgres`).pool).not.toBe(t.databases.vector);
  });
});
