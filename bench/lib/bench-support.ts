/**
 * What every benchmark needs: commands (psql, the build), a free port, /proc memory readings, the bench
 * database (langchain-postgres tables filled with random vectors in SQL), a server process of the current
 * build and JSON requests to it, the results file. Shared so the benches measure the same database and server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PG_BASE = process.env.BENCH_PG_BASE ?? 'postgresql://postgres@127.0.0.1:5432';
// One database per bench process: two benches (or two checkouts) on one server must not drop each other's.
export const BENCH_DB = process.env.BENCH_DB ?? `t2s_bench_${process.pid}`;
export const BENCH_DB_URL = `${PG_BASE}/${BENCH_DB}`;
/** Relative to the server's cwd (a temp dir). */
export const DATA_REL = './data_pipeline/training_data';
export const CSV = 'WITH (FORMAT csv, HEADER true)';
export const MiB = 1024 * 1024;
const GEN_BATCH = 5000; // rows per INSERT: keeps each statement's memory and duration modest

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad ${name}: ${raw}`);
  return n;
}

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

/** psql on the bench database: -X ignores ~/.psqlrc; ON_ERROR_STOP so a failed \copy fails the process (and the timing). */
export const psql = (args: string[]) => run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', BENCH_DB_URL, ...args]);

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

// ---------- database ----------

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const dropBenchDatabase = () => withClient(`${PG_BASE}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`));

export interface BenchDatabaseOptions {
  /** `vector(dim)` instead of an untyped `vector` column (an HNSW index needs the dimension). */
  typedVector?: boolean;
  /**
   * The layout's `ix_cmetadata_gin` (default on: the server creates it with new tables, and it makes
   * every COPY FROM pay realistic index maintenance); off for a table with primary keys only.
   */
  ginIndex?: boolean;
  /** Names the bench in the collection's cmetadata and each row's `source`. */
  label?: string;
}

/**
 * Recreates the bench database with `rows` embeddings of `dim` random dimensions in the collection
 * `bench`, vacuumed, analysed and checkpointed; returns the seconds the filling took (printed, never compared).
 */
export async function createBenchDatabase(rows: number, dim: number, options: BenchDatabaseOptions = {}): Promise<number> {
  const { typedVector = false, ginIndex = true, label = 'bench' } = options;
  await dropBenchDatabase();
  await withClient(`${PG_BASE}/postgres`, (c) => c.query(`CREATE DATABASE ${BENCH_DB}`));
  const [seconds] = await timed(() =>
    withClient(BENCH_DB_URL, async (c) => {
      await c.query(`
        CREATE EXTENSION vector;
        CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, cmetadata JSON);
        CREATE TABLE langchain_pg_embedding (
          id VARCHAR PRIMARY KEY,
          collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
          embedding VECTOR${typedVector ? `(${dim})` : ''}, document VARCHAR, cmetadata JSONB);
        ${ginIndex ? 'CREATE INDEX ix_cmetadata_gin ON langchain_pg_embedding USING gin (cmetadata jsonb_path_ops);' : ''}
        INSERT INTO langchain_pg_collection VALUES (gen_random_uuid(), 'bench', '{"purpose": "${label}"}');`);
      for (let from = 1; from <= rows; from += GEN_BATCH) {
        // `WHERE g > 0` correlates the LATERAL subquery with the outer row, so the planner cannot
        // evaluate it once and reuse one vector for every row. The document has Chinese text, a
        // comma, a double quote and a newline so CSV quoting is exercised.
        await c.query(
          `INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
           SELECT 'doc-' || g, col.uuid, v.vec::vector,
                  format(E'第%s号文档：订单明细, 含"引号"\n第二行 ', g) || left(repeat(md5(g::text) || ' ', 6), 170),
                  jsonb_build_object('id', g, 'source', $4::text)
             FROM langchain_pg_collection col, generate_series($1::int, $2::int) g,
                  LATERAL (SELECT array_agg(random()::real) AS vec FROM generate_series(1, $3::int) WHERE g > 0) v`,
          [from, Math.min(rows, from + GEN_BATCH - 1), dim, label],
        );
      }
      const { rows: [check] } = await c.query<{ n: number; distinct_vecs: number; sample: number }>(
        `SELECT (SELECT count(*)::int FROM langchain_pg_embedding) AS n,
                count(DISTINCT embedding::text)::int AS distinct_vecs, count(*)::int AS sample
           FROM (SELECT embedding FROM langchain_pg_embedding LIMIT 1000) s`,
      );
      if (check!.n !== rows || check!.distinct_vecs !== check!.sample) throw new Error(`generation check failed: ${JSON.stringify(check)}`);
      // Flush dirty buffers now so the first measured run does not pay for the generation's writes.
      await c.query('VACUUM ANALYZE langchain_pg_embedding');
      await c.query('CHECKPOINT');
    }),
  );
  return seconds;
}

export async function countEmbeddings(): Promise<number> {
  return withClient(BENCH_DB_URL, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM langchain_pg_embedding')).rows[0]!.n);
}

// ---------- server ----------

export interface BenchServer { pid: number; url: string; work: string; stop: () => Promise<void>; rss: { max: number } }

/**
 * node's arguments to run src/main.ts through tsx, as one node process. tsx is resolved here: the
 * server's cwd is a temp dir, from which a bare `--import tsx` finds no package.
 */
export const tsxServerArgs = (): string[] => ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src', 'main.ts')];

/**
 * Builds the server (`npm run build`); when the build fails (src/ mid-edit) falls back to running
 * src/main.ts through tsx. Returns node's arguments.
 */
export async function buildServer(): Promise<string[]> {
  try {
    await run('npm', ['run', 'build', '--silent', '--prefix', ROOT]);
    return [path.join(ROOT, 'dist', 'main.js')];
  } catch (err) {
    console.warn(`build failed, running src/main.ts through tsx instead:\n${(err as Error).message.slice(0, 1500)}`);
    return tsxServerArgs();
  }
}

/** Which code the numbers belong to. */
export const gitDescribe = async () => (await run('git', ['describe', '--always', '--dirty']).catch(() => 'unknown')).trim();

/** The 1/5/15-minute load averages, for the console: on a shared machine they explain outliers. */
export const loadAverage = () => `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores`;

/** Starts `node <serverArgs>` in `work` against the bench database; VmRSS is sampled every 50 ms into `rss.max`. */
async function startServer(serverArgs: string[], work: string, extraEnv: Record<string, string> = {}): Promise<BenchServer> {
  const port = await freePort();
  const out = fs.openSync(path.join(work, 'server.out'), 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: BENCH_DB_URL, PORT: String(port), HOST: '127.0.0.1',
    DATA_PIPELINE_ROOT: DATA_REL, LOG_DIR: './logs', LOG_LEVEL: 'warn', ...extraEnv };
  for (const k of ['VECTOR_DATABASE_URL', 'BUSINESS_DATABASE_URL', 'API_TOKEN']) delete env[k];
  // Spawn node itself (not npm/npx) so child.pid is the process whose /proc/<pid>/status we read.
  const child = spawn(process.execPath, serverArgs, { cwd: work, env, stdio: ['ignore', out, out] });
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
  // 60 s: through tsx (bench:s3, or the fallback when the build fails) start-up compiles src/ first.
  for (const deadline = Date.now() + 60_000; ; ) {
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

/**
 * Runs `fn` against a fresh server started in a new temp working directory (`prefix`…), whose
 * arguments may depend on that directory (a --cpu-prof-dir inside it). When `fn` fails, the tail of
 * the server's output is printed; the server is always stopped and the directory removed.
 */
export async function withServer<T>(
  prefix: string,
  serverArgs: string[] | ((work: string) => string[]),
  fn: (server: BenchServer) => Promise<T>,
  extraEnv: Record<string, string> = {},
): Promise<T> {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  let server: BenchServer | undefined;
  try {
    server = await startServer(typeof serverArgs === 'function' ? serverArgs(work) : serverArgs, work, extraEnv);
    return await fn(server);
  } catch (err) {
    if (server) console.error(`server output (tail):\n${(await fsp.readFile(path.join(work, 'server.out'), 'utf8').catch(() => '')).slice(-3000)}`);
    throw err;
  } finally {
    await server?.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
}

/** A JSON request to the server; any status but `expect`, or a failure envelope, fails the bench. Returns the envelope's `data`. */
export async function call(server: BenchServer, method: string, route: string, body?: unknown, expect = 200): Promise<Record<string, any>> {
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const reply = (await res.json()) as { success: boolean; data: Record<string, any> };
  if (res.status !== expect || !reply.success) throw new Error(`${method} ${route} → ${res.status}: ${JSON.stringify(reply).slice(0, 2000)}`);
  return reply.data;
}

export const post = (server: BenchServer, route: string, body: unknown) => call(server, 'POST', route, body);

/** Writes a bench's results as bench/results/<name>-<UTC stamp>.json (git-ignored); returns the path. */
export async function writeResults(name: string, started: Date, results: object): Promise<string> {
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '_');
  const out = path.join(ROOT, 'bench', 'results', `${name}-${stamp}.json`);
  await fsp.mkdir(path.dirname(out), { recursive: true });
  // Other work on the machine skews every figure: the load average says how busy it was.
  const host = { cpus: os.cpus().length, mem_gib: os.totalmem() / 2 ** 30, loadavg_at_end: os.loadavg() };
  await fsp.writeFile(out, `${JSON.stringify({ started: started.toISOString(), node: process.version, host, ...results }, null, 2)}\n`);
  return out;
}

/** Prints rows as a Markdown table (cells right-aligned). */
export function printTable(head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  console.log([line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n'));
}
