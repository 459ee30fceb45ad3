/**
 * What the vector benchmarks share: timing, child processes (psql, the build), a server process
 * per run with its RSS sampled, the JSON API, and the generated LangChain rows.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PG_BASE = process.env.BENCH_PG_BASE ?? 'postgresql://postgres@127.0.0.1:5432';
/** The server's data root, relative to its cwd (a temp dir per run). */
export const DATA_REL = './data_pipeline/training_data';
export const CSV = 'WITH (FORMAT csv, HEADER true)';
export const MiB = 1024 * 1024;
const GEN_BATCH = 5000; // rows per INSERT: keeps each statement's memory and duration modest

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [(performance.now() - t0) / 1000, value];
}

/** Runs a command to completion; rejects with its stderr on a non-zero exit. */
export function run(cmd: string, args: string[], cwd = ROOT): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/** psql on `dbUrl`: -X ignores ~/.psqlrc; ON_ERROR_STOP so a failed \copy fails the process (and the timing). */
export const psqlOn = (dbUrl: string) => (args: string[]) => run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', dbUrl, ...args]);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A `kB` field of /proc/<pid>/status, in bytes (0 once the process is gone). */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * `rows` embeddings of `dim` random dimensions into the collection `bench`. `WHERE g > 0`
 * correlates the LATERAL subquery with the outer row, so the planner cannot evaluate it once and
 * reuse one vector for every row. The document has Chinese text, a comma, a double quote and a
 * newline so CSV quoting is exercised. Checked: the count and that the vectors differ.
 */
export async function generateEmbeddings(c: pg.Client, rows: number, dim: number): Promise<void> {
  for (let from = 1; from <= rows; from += GEN_BATCH) {
    await c.query(
      `INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
       SELECT 'doc-' || g, col.uuid, v.vec::vector,
              format(E'第%s号文档：订单明细, 含"引号"\n第二行 ', g) || left(repeat(md5(g::text) || ' ', 6), 170),
              jsonb_build_object('id', g, 'source', 'copy-bench')
         FROM langchain_pg_collection col, generate_series($1::int, $2::int) g,
              LATERAL (SELECT array_agg(random()::real) AS vec FROM generate_series(1, $3::int) WHERE g > 0) v`,
      [from, Math.min(rows, from + GEN_BATCH - 1), dim],
    );
  }
  const { rows: [check] } = await c.query<{ n: number; distinct_vecs: number; sample: number }>(
    `SELECT (SELECT count(*)::int FROM langchain_pg_embedding) AS n,
            count(DISTINCT embedding::text)::int AS distinct_vecs, count(*)::int AS sample
       FROM (SELECT embedding FROM langchain_pg_embedding LIMIT 1000) s`,
  );
  if (check!.n !== rows || check!.distinct_vecs !== check!.sample) throw new Error(`generation check failed: ${JSON.stringify(check)}`);
}

/**
 * Drops and recreates the database `db` with the langchain-postgres tables and `rows` generated
 * embeddings, vacuumed, analysed and checkpointed (so the first measured run does not pay for the
 * generation's writes). `typedVector`: `vector(dim)` (HNSW needs it); `ginIndex`: the layout's
 * `ix_cmetadata_gin`. Returns the seconds it took (printed, never compared).
 */
export async function createBenchDatabase(
  db: string,
  rows: number,
  dim: number,
  options: { typedVector: boolean; ginIndex: boolean; purpose: string },
): Promise<number> {
  await withClient(`${PG_BASE}/postgres`, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${db}`);
  });
  const [seconds] = await timed(() =>
    withClient(`${PG_BASE}/${db}`, async (c) => {
      await c.query(`
        CREATE EXTENSION vector;
        CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, cmetadata JSON);
        CREATE TABLE langchain_pg_embedding (
          id VARCHAR PRIMARY KEY,
          collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
          embedding VECTOR${options.typedVector ? `(${dim})` : ''}, document VARCHAR, cmetadata JSONB);
        ${options.ginIndex ? 'CREATE INDEX ix_cmetadata_gin ON langchain_pg_embedding USING gin (cmetadata jsonb_path_ops);' : ''}
        INSERT INTO langchain_pg_collection VALUES (gen_random_uuid(), 'bench', $$${JSON.stringify({ purpose: options.purpose })}$$);`);
      await generateEmbeddings(c, rows, dim);
      await c.query('VACUUM ANALYZE langchain_pg_embedding');
      await c.query('CHECKPOINT');
    }),
  );
  return seconds;
}

/** Builds the server once (`dist/main.js`); falls back to src/main.ts through tsx when the build fails. */
export async function serverCommand(): Promise<string[]> {
  try {
    await run('npm', ['run', 'build', '--silent', '--prefix', ROOT]);
    return [path.join(ROOT, 'dist', 'main.js')];
  } catch (err) {
    // src/ may be mid-edit; tsx via --import still runs the server as one node process.
    console.warn(`build failed, running src/main.ts through tsx instead:\n${(err as Error).message.slice(0, 1500)}`);
    return ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')];
  }
}

export interface Server { pid: number; url: string; work: string; stop: () => Promise<void>; rss: { max: number } }

/** A fresh server process on `dbUrl` in the working directory `work`, healthy before this returns. */
export async function startServer(command: string[], work: string, dbUrl: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const out = fs.openSync(path.join(work, 'server.out'), 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: dbUrl, PORT: String(port), HOST: '127.0.0.1',
    DATA_PIPELINE_ROOT: DATA_REL, LOG_DIR: './logs', LOG_LEVEL: 'warn', ...extraEnv };
  for (const k of ['VECTOR_DATABASE_URL', 'BUSINESS_DATABASE_URL', 'API_TOKEN']) delete env[k];
  // Spawn node itself (not npm/npx) so child.pid is the process whose /proc/<pid>/status we read.
  const child = spawn(process.execPath, command, { cwd: work, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) => child.on('exit', (code, sig) => { exited = `code=${code} signal=${sig}`; resolve(); }));
  const rss = { max: 0 };
  const sampler = setInterval(() => (rss.max = Math.max(rss.max, procStatus(child.pid!, 'VmRSS'))), 50);
  const stop = async () => {
    clearInterval(sampler);
    if (exited === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(t);
  };
  const url = `http://127.0.0.1:${port}/api/v0`;
  for (const deadline = Date.now() + 30_000; ; ) {
    if (exited !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`server did not become healthy (${exited ?? 'timeout'}):\n${fs.readFileSync(path.join(work, 'server.out'), 'utf8').slice(-3000)}`);
    }
    const ok = await fetch(`${url}/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, url, work, stop, rss };
}

interface Reply { success: boolean; data: Record<string, any> }

/** POSTs JSON to the server; anything but a 200 success throws with the reply. */
export async function post(server: Server, route: string, body: unknown): Promise<Reply['data']> {
  const res = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const reply = (await res.json()) as Reply;
  if (res.status !== 200 || !reply.success) throw new Error(`POST ${route} → ${res.status}: ${JSON.stringify(reply).slice(0, 2000)}`);
  return reply.data;
}

/** The UTC start of a run as a file stamp (`20261130_101500`). */
export const runStamp = (started: Date) => started.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '_');
