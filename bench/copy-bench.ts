/**
 * COPY benchmark: the server's vector backup/restore (over HTTP) against the psql `\copy` baseline.
 *
 *   BENCH_ROWS=10000,100000 BENCH_DIM=1024 BENCH_REPEAT=3 npm run bench:copy
 *
 * Per row count: fresh database `t2s_bench` with random vectors, a fresh server process (so its
 * VmHWM belongs to that row count alone), then BENCH_REPEAT rounds of backup and restore, each pair
 * run in alternating order so caches and WAL state do not favour one side. Medians are reported.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROWS = (process.env.BENCH_ROWS ?? '10000,100000').split(',').map((s) => Number(s.trim()));
const DIM = Number(process.env.BENCH_DIM ?? 1024);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const PG_BASE = process.env.BENCH_PG_BASE ?? 'postgresql://postgres@127.0.0.1:5432';
const DB = 't2s_bench';
const DB_URL = `${PG_BASE}/${DB}`;
const DATA_REL = './data_pipeline/training_data'; // relative to the server's cwd (a temp dir)
const GEN_BATCH = 5000; // rows per INSERT: keeps each statement's memory and duration modest
const CSV = 'WITH (FORMAT csv, HEADER true)';
const MiB = 1024 * 1024;

if (ROWS.some((n) => !Number.isInteger(n) || n < 1) || !(DIM >= 1) || !(REPEAT >= 1)) {
  throw new Error(`bad BENCH_ROWS/BENCH_DIM/BENCH_REPEAT: ${ROWS.join(',')} / ${DIM} / ${REPEAT}`);
}

// ---------- small helpers ----------

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [(performance.now() - t0) / 1000, value];
}

/** Runs a command to completion; rejects with its stderr on a non-zero exit. */
function run(cmd: string, args: string[], cwd = ROOT): Promise<string> {
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

// -X: ignore ~/.psqlrc; ON_ERROR_STOP so a failed \copy fails the process (and the timing).
const psql = (args: string[]) => run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB_URL, ...args]);

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
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// ---------- database ----------

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const dropDatabase = () => withClient(`${PG_BASE}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));

async function createDatabase(rows: number): Promise<number> {
  await dropDatabase();
  await withClient(`${PG_BASE}/postgres`, (c) => c.query(`CREATE DATABASE ${DB}`));
  const [seconds] = await timed(() =>
    withClient(DB_URL, async (c) => {
      // The GIN index is part of the langchain-postgres layout (the server creates it with new
      // tables); it makes every COPY FROM pay realistic index maintenance, equally on both sides.
      await c.query(`
        CREATE EXTENSION vector;
        CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, cmetadata JSON);
        CREATE TABLE langchain_pg_embedding (
          id VARCHAR PRIMARY KEY,
          collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
          embedding VECTOR, document VARCHAR, cmetadata JSONB);
        CREATE INDEX ix_cmetadata_gin ON langchain_pg_embedding USING gin (cmetadata jsonb_path_ops);
        INSERT INTO langchain_pg_collection VALUES (gen_random_uuid(), 'bench', '{"purpose": "copy-bench"}');`);
      for (let from = 1; from <= rows; from += GEN_BATCH) {
        // `WHERE g > 0` correlates the LATERAL subquery with the outer row, so the planner cannot
        // evaluate it once and reuse one vector for every row. The document has Chinese text, a
        // comma, a double quote and a newline so CSV quoting is exercised on both paths.
        await c.query(
          `INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
           SELECT 'doc-' || g, col.uuid, v.vec::vector,
                  format(E'第%s号文档：订单明细, 含"引号"\n第二行 ', g) || left(repeat(md5(g::text) || ' ', 6), 170),
                  jsonb_build_object('id', g, 'source', 'copy-bench')
             FROM langchain_pg_collection col, generate_series($1::int, $2::int) g,
                  LATERAL (SELECT array_agg(random()::real) AS vec FROM generate_series(1, $3::int) WHERE g > 0) v`,
          [from, Math.min(rows, from + GEN_BATCH - 1), DIM],
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

async function countEmbeddings(expected: number, after: string): Promise<void> {
  const n = await withClient(DB_URL, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM langchain_pg_embedding')).rows[0]!.n);
  if (n !== expected) throw new Error(`after ${after}: langchain_pg_embedding has ${n} rows, expected ${expected}`);
}

// ---------- server ----------

interface Server { pid: number; url: string; work: string; stop: () => Promise<void>; rss: { max: number } }
let serverCommand: string[] = [];

async function startServer(work: string): Promise<Server> {
  const port = await freePort();
  const out = fs.openSync(path.join(work, 'server.out'), 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: DB_URL, PORT: String(port), HOST: '127.0.0.1',
    DATA_PIPELINE_ROOT: DATA_REL, LOG_DIR: './logs', LOG_LEVEL: 'warn' };
  for (const k of ['VECTOR_DATABASE_URL', 'BUSINESS_DATABASE_URL', 'API_TOKEN']) delete env[k];
  // Spawn node itself (not npm/npx) so child.pid is the process whose /proc/<pid>/status we read.
  const child = spawn(process.execPath, serverCommand, { cwd: work, env, stdio: ['ignore', out, out] });
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
async function post(server: Server, route: string, body: unknown): Promise<Reply['data']> {
  const res = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const reply = (await res.json()) as Reply;
  if (res.status !== 200 || !reply.success) throw new Error(`POST ${route} → ${res.status}: ${JSON.stringify(reply).slice(0, 2000)}`);
  return reply.data;
}

// ---------- one row count ----------

async function benchRows(rows: number) {
  console.log(`\n== ${rows} rows × dim ${DIM}: generating…`);
  const genSeconds = await createDatabase(rows);
  console.log(`   generated in ${genSeconds.toFixed(1)} s`);
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 't2s-copy-bench-'));
  const bakDir = path.join(work, DATA_REL, 'vector_bak');
  const psqlFile = (t: string) => path.join(work, `psql_${t}.csv`);
  const t = { psqlBackup: [] as number[], serverBackup: [] as number[], psqlRestore: [] as number[], serverRestore: [] as number[] };
  const serverReported = { backup: [] as number[], restore: [] as number[] };
  let fileBytes = 0;
  let psqlFileBytes = 0;
  const loadPaths = new Set<string>();
  let server: Server | undefined;
  try {
    server = await startServer(work);
    const srv = server;
    const baselineRss = procStatus(srv.pid, 'VmRSS');
    for (let r = 0; r < REPEAT; r++) {
      const serverFirst = r % 2 === 1;
      const pair = async (a: () => Promise<void>, b: () => Promise<void>) => (serverFirst ? (await b(), await a()) : (await a(), await b()));
      let stamp = '';
      await pair(
        async () => {
          const [s] = await timed(() => psql(['langchain_pg_collection', 'langchain_pg_embedding'].flatMap((tb) => ['-c', `\\copy ${tb} TO '${psqlFile(tb)}' ${CSV}`])));
          t.psqlBackup.push(s);
        },
        async () => {
          const [s, data] = await timed(() => post(srv, '/data_pipeline/vector/backup', {}));
          if (data.tables_backed_up?.langchain_pg_embedding?.row_count !== rows) throw new Error(`backup row_count: ${JSON.stringify(data.tables_backed_up)}`);
          stamp = data.backup_timestamp;
          t.serverBackup.push(s);
          serverReported.backup.push(data.duration);
        },
      );
      const serverFile = (tb: string) => path.join(bakDir, `${tb}_${stamp}.csv`);
      fileBytes = (await fsp.stat(serverFile('langchain_pg_embedding'))).size;
      psqlFileBytes = (await fsp.stat(psqlFile('langchain_pg_embedding'))).size;
      // Both sides restore the server's files, so the input bytes are identical.
      const script = path.join(work, 'restore.sql');
      await fsp.writeFile(script, [
        'BEGIN;',
        'TRUNCATE langchain_pg_collection, langchain_pg_embedding;',
        `\\copy langchain_pg_collection FROM '${serverFile('langchain_pg_collection')}' ${CSV}`,
        `\\copy langchain_pg_embedding FROM '${serverFile('langchain_pg_embedding')}' ${CSV}`,
        'COMMIT;', ''].join('\n'));
      await pair(
        async () => {
          const [s] = await timed(() => psql(['-f', script]));
          t.psqlRestore.push(s);
          await countEmbeddings(rows, 'psql restore');
        },
        async () => {
          const [s, data] = await timed(() =>
            post(srv, '/data_pipeline/vector/restore', { backup_path: `${DATA_REL}/vector_bak`, timestamp: stamp, truncate_before_restore: true }));
          const e = data.restore_results?.langchain_pg_embedding;
          if (e?.rows_restored !== rows) throw new Error(`restore rows_restored: ${JSON.stringify(data.restore_results)}`);
          loadPaths.add(e.load_path);
          t.serverRestore.push(s);
          serverReported.restore.push(data.duration);
          await countEmbeddings(rows, 'server restore');
        },
      );
      // Each 100k set is ~1 GB per side: remove this round's files before the next one.
      for (const f of await fsp.readdir(bakDir)) if (f.endsWith('.csv')) await fsp.rm(path.join(bakDir, f));
      for (const tb of ['langchain_pg_collection', 'langchain_pg_embedding']) await fsp.rm(psqlFile(tb), { force: true });
      console.log(`   round ${r + 1}/${REPEAT} (${serverFirst ? 'server' : 'psql'} first): backup psql ${t.psqlBackup[r]!.toFixed(2)} s / server ${t.serverBackup[r]!.toFixed(2)} s; ` +
        `restore psql ${t.psqlRestore[r]!.toFixed(2)} s / server ${t.serverRestore[r]!.toFixed(2)} s; RSS now ${(procStatus(srv.pid, 'VmRSS') / MiB).toFixed(0)} MiB`);
    }
    const vmHwm = procStatus(srv.pid, 'VmHWM'); // read before stopping: it vanishes with the process
    const m = { psqlBackup: median(t.psqlBackup), serverBackup: median(t.serverBackup), psqlRestore: median(t.psqlRestore), serverRestore: median(t.serverRestore) };
    return {
      rows, dim: DIM, repeat: REPEAT, generation_s: genSeconds, file_bytes: fileBytes, psql_file_bytes: psqlFileBytes,
      median_s: m, runs_s: t, server_reported_duration_s: serverReported, load_paths: [...loadPaths],
      backup_ratio: m.serverBackup / m.psqlBackup, restore_ratio: m.serverRestore / m.psqlRestore,
      restore_within_10pct: m.serverRestore <= m.psqlRestore * 1.1,
      server_backup_rows_per_s: rows / m.serverBackup, server_restore_rows_per_s: rows / m.serverRestore,
      server_rss_start_mib: baselineRss / MiB, server_vmhwm_mib: vmHwm / MiB, server_max_sampled_rss_mib: srv.rss.max / MiB,
    };
  } catch (err) {
    if (server) console.error(`server output (tail):\n${(await fsp.readFile(path.join(work, 'server.out'), 'utf8').catch(() => '')).slice(-3000)}`);
    throw err;
  } finally {
    await server?.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
}

// ---------- main ----------

type Result = Awaited<ReturnType<typeof benchRows>>;

function printTable(results: Result[]): void {
  const head = ['rows', 'dim', 'file MiB', 'psql bk s', 'srv bk s (×)', 'psql rs s', 'srv rs s (×, ≤+10%?)', 'srv bk rows/s', 'srv rs rows/s', 'VmHWM MiB', 'max RSS MiB'];
  const body = results.map((r) => [
    String(r.rows), String(r.dim), (r.file_bytes / MiB).toFixed(1),
    r.median_s.psqlBackup.toFixed(2), `${r.median_s.serverBackup.toFixed(2)} (${r.backup_ratio.toFixed(2)}×)`,
    r.median_s.psqlRestore.toFixed(2), `${r.median_s.serverRestore.toFixed(2)} (${r.restore_ratio.toFixed(2)}×, ${r.restore_within_10pct ? 'yes' : 'NO'})`,
    r.server_backup_rows_per_s.toFixed(0), r.server_restore_rows_per_s.toFixed(0),
    r.server_vmhwm_mib.toFixed(1), r.server_max_sampled_rss_mib.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  console.log(`\nmedian of ${REPEAT} run(s); × = server / psql; rows/s from the medians`);
  console.log([line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n'));
}

async function main(): Promise<void> {
  const started = new Date();
  try {
    await run('npm', ['run', 'build', '--silent', '--prefix', ROOT]);
    serverCommand = [path.join(ROOT, 'dist', 'main.js')];
  } catch (err) {
    // src/ may be mid-edit; tsx via --import still runs the server as one node process.
    console.warn(`build failed, running src/main.ts through tsx instead:\n${(err as Error).message.slice(0, 1500)}`);
    serverCommand = ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')];
  }
  // src/ changes under us: record which code the numbers belong to.
  const git = (await run('git', ['describe', '--always', '--dirty']).catch(() => 'unknown')).trim();
  console.log(`git ${git}; server: node ${serverCommand.join(' ')}; rows ${ROWS.join(',')}; dim ${DIM}; repeat ${REPEAT}`);
  const results: Result[] = [];
  try {
    for (const rows of ROWS) results.push(await benchRows(rows));
  } finally {
    await dropDatabase().catch((err: Error) => console.error(`could not drop ${DB}: ${err.message}`));
  }
  printTable(results);
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '_');
  const out = path.join(ROOT, 'bench', 'results', `copy-${stamp}.json`);
  await fsp.mkdir(path.dirname(out), { recursive: true });
  await fsp.writeFile(out, `${JSON.stringify({ started: started.toISOString(), git, server: serverCommand.join(' '), node: process.version, host: { cpus: os.cpus().length, mem_gib: os.totalmem() / 2 ** 30 }, results }, null, 2)}\n`);
  console.log(`\nresults: ${path.relative(process.cwd(), out)}`);
}

await main();
