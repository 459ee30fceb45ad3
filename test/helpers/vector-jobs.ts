import type { Express } from 'express';
import type pg from 'pg';
import request from 'supertest';
import { embeddedByUrl, type TestDatabase } from './db.js';
import { embeddedTestMode } from './test-database-url.js';
import { deferred, lockWaiters, openSession, waitFor } from './vector-db.js';

export const JOBS = '/api/v0/data_pipeline/vector/jobs';
/** The size for the async backup/restore tests; small vectors keep them within seconds. */
export const ROWS = 20_000;
const DIMS = 16;
const ENDED = ['succeeded', 'failed', 'cancelled'];
const COLLECTION = 'f4e11877-44e7-4741-b511-fa0e2e399395';

/** ROWS rows × DIMS dims (a multi-chunk COPY), documents with quoted newlines and commas. */
export async function seedVectors(db: TestDatabase): Promise<void> {
  await db.query(`
    CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, cmetadata JSON);
    CREATE TABLE langchain_pg_embedding (id VARCHAR PRIMARY KEY, collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
      embedding VECTOR, document VARCHAR, cmetadata JSONB);
    INSERT INTO langchain_pg_collection VALUES ('${COLLECTION}', 'sql', NULL), ('0e5a7c8e-8d3b-4a43-9d6b-1b1f1b1f1b1f', 'ddl', '{"a": 1}');
    INSERT INTO langchain_pg_embedding
    SELECT 'row-' || g, '${COLLECTION}', v.vec::vector, E'doc ' || g || E'\\nsecond line, "quoted"', jsonb_build_object('n', g)
      FROM generate_series(1, ${ROWS}) AS g,
           LATERAL (SELECT array_agg(random())::real[] AS vec FROM generate_series(1, ${DIMS}) WHERE g > 0) AS v`);
}

export type Job = { job_id: string; kind: string; status: string; request: Record<string, unknown>; result: any; error: string | null; progress: any };

/** Polls the job until it ends; returns every percent seen (null progress counts as 0) and the last view. */
export async function pollToEnd(app: Express, jobId: string): Promise<{ job: Job; percents: number[]; statuses: string[] }> {
  const percents: number[] = [];
  const statuses: string[] = [];
  const job = await waitFor(`job ${jobId} to end`, async () => {
    const res = await request(app).get(`${JOBS}/${jobId}`).expect(200);
    const view = res.body.data as Job;
    percents.push(view.progress?.percent ?? 0);
    statuses.push(view.status);
    return ENDED.includes(view.status) ? view : null;
  }, 120_000);
  return { job, percents, statuses };
}

export const monotone = (values: number[]) => values.every((v, i) => i === 0 || v >= values[i - 1]!);

/** Reads an SSE reply to its end as text (supertest would not buffer text/event-stream by itself). */
export function readText(res: any, cb: (err: Error | null, body: string) => void): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => cb(null, text));
}

export function parseEvents(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)![1]!,
      data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!),
    }));
}

/**
 * Holds a restore mid-COPY of the embeddings. On a server: a row trigger waits for an advisory
 * lock a second session holds. Embedded (one session, no lock can block it): the first in-process
 * chunk is loaded, then the next waits for the release.
 */
export async function holdRestore(db: TestDatabase): Promise<{ reached: Promise<unknown>; release(): Promise<void> }> {
  if (embeddedTestMode()) {
    const embedded = embeddedByUrl.get(db.url)!;
    const original = embedded.copyFromBlob.bind(embedded);
    const reached = deferred();
    const resume = deferred();
    embedded.copyFromBlob = async (sql, csv) => {
      const rows = await original(sql, csv);
      if (sql.includes('langchain_pg_embedding')) {
        reached.resolve();
        await resume.promise;
      }
      return rows;
    };
    return {
      reached: reached.promise,
      release: async () => {
        embedded.copyFromBlob = original;
        resume.resolve();
      },
    };
  }
  await db.query(`
    CREATE FUNCTION test_restore_hold() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.id = 'row-${ROWS / 2}' THEN PERFORM pg_advisory_xact_lock_shared(4343); END IF; RETURN NEW; END $$;
    CREATE TRIGGER test_restore_hold BEFORE INSERT ON langchain_pg_embedding FOR EACH ROW EXECUTE FUNCTION test_restore_hold()`);
  const gate: pg.Client = await openSession(db);
  await gate.query('SELECT pg_advisory_lock(4343)');
  let released = false;
  return {
    reached: waitFor('the restore to wait at the hold', async () => (await lockWaiters(db, 'advisory')).length > 0),
    release: async () => {
      if (released) return;
      released = true;
      await gate.query('SELECT pg_advisory_unlock(4343)');
      await gate.end();
      await db.query('DROP TRIGGER test_restore_hold ON langchain_pg_embedding; DROP FUNCTION test_restore_hold()');
    },
  };
}
