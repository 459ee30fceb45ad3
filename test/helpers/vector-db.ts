import pg from 'pg';
import type { TestDatabase } from './db.js';

/** A fingerprint of everything in both LangChain tables: equal fingerprints mean identical contents. */
export async function vectorSnapshot(db: TestDatabase): Promise<{ collections: number; embeddings: number; digest: string }> {
  const [row] = await db.query(`
    SELECT (SELECT count(*) FROM langchain_pg_collection)::int AS collections,
           (SELECT count(*) FROM langchain_pg_embedding)::int AS embeddings,
           md5(coalesce((SELECT string_agg(uuid::text || name || coalesce(cmetadata::text, '∅'), '|' ORDER BY uuid) FROM langchain_pg_collection), '') ||
               coalesce((SELECT string_agg(id || collection_id::text || embedding::text || document || cmetadata::text, '|' ORDER BY id) FROM langchain_pg_embedding), '')) AS digest`);
  return row as { collections: number; embeddings: number; digest: string };
}

/** Polls `check` until it returns a truthy value; fails (naming `what`) after `timeoutMs`, never asserts on time. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Backends of `db` (other than the asking one) waiting for a heavyweight lock, with what they run. */
export async function lockWaiters(db: TestDatabase, waitEvent?: 'relation' | 'advisory' | 'transactionid'): Promise<{ pid: number; query: string }[]> {
  return db.query<{ pid: number; query: string }>(
    `SELECT pid, query FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND wait_event_type = 'Lock' AND ($1::text IS NULL OR wait_event = $1)`,
    [waitEvent ?? null],
  );
}

/** A plain second session on `db` (a reader holding locks, a gate), ended by the caller. */
export async function openSession(db: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A promise with its resolve handle, for gating an injected file handle. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Both LangChain tables with one collection (`sql`) and `rows` embeddings of `dims` dimensions:
 * deterministic 3-dimension vectors by default, random ones when a test needs volume (a COPY
 * still running when something happens to it).
 */
export async function seedVectorTables(db: TestDatabase, { rows = 5, dims = 3 }: { rows?: number; dims?: number } = {}): Promise<void> {
  const vector =
    dims === 3
      ? 'ARRAY[g, 0.5, 0.25]::real[]::vector'
      : `(SELECT array_agg(random())::real[] FROM generate_series(1, ${Number(dims)}) WHERE g > 0)::vector`;
  await db.query(`
    CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, cmetadata JSON);
    CREATE TABLE langchain_pg_embedding (id VARCHAR PRIMARY KEY, collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
      embedding VECTOR, document VARCHAR, cmetadata JSONB);
    INSERT INTO langchain_pg_collection VALUES ('f4e11877-44e7-4741-b511-fa0e2e399395', 'sql', NULL);
    INSERT INTO langchain_pg_embedding
    SELECT 'row-' || g, 'f4e11877-44e7-4741-b511-fa0e2e399395', ${vector}, 'doc ' || g, jsonb_build_object('n', g)
      FROM generate_series(1, ${Number(rows)}) AS g`);
}
