/**
 * S3 store benchmark (issue 14): the server's vector backup and restore through the S3 store
 * (an s3rver on loopback, talked to through the AWS SDK exactly as to AWS) against the same
 * server on the local store, same database, same machine.
 *
 *   BENCH_ROWS=100000 BENCH_DIM=1024 npm run bench:s3
 *   BENCH_ROWS=2000 npm run bench:s3          # quick smoke run
 *
 * Per store: a fresh server process (so its VmHWM is that store's alone), one backup and one
 * restore (truncate_before_restore) of the same rows, row counts checked after the restore. RSS is
 * sampled every 50 ms. s3rver runs in this (the bench's) process, never in the server's.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import S3rver from 's3rver';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const DIM = Number(process.env.BENCH_DIM ?? 1024);
const PG_BASE = process.env.BENCH_PG_BASE ?? 'postgresql://postgres@127.0.0.1:5432';
const DB = 't2s_s3bench';
const DB_URL = `${PG_BASE}/${DB}`;
const DATA_REL = './data_pipeline/training_data';
const GEN_BATCH = 5000;
const MiB = 1024 * 1024;
const BUCKET = 'bench';

if (!Number.isInteger(ROWS) || ROWS < 1 || !(DIM >= 1)) throw new Error(`bad BENCH_ROWS/BENCH_DIM: ${ROWS} / ${DIM}`);

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

/** The langchain-postgres tables with ROWS random DIM-wide vectors (as copy-bench.ts generates them). */
async function createDatabase(): Promise<void> {
  await dropDatabase();
  await withClient(`${PG_BASE}/postgres`, (c) => c.query(`CREATE DATABASE ${DB}`));
  await withClient(DB_URL, async (c) => {
    await c.query(`
      CREATE EXTENSION vector;
      CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, cmetadata JSON);
      CREATE TABLE langchain_pg_embedding (
        id VARCHAR PRIMARY KEY,
        collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
        embedding VECTOR, document VARCHAR, cmetadata JSONB);
      CREATE INDEX ix_cmetadata_gin ON langchain_pg_embedding USING gin (cmetadata jsonb_path_ops);
      INSERT INTO langchain_pg_collection VALUES (gen_random_uuid(), 'bench', '{"purpose": "s3-bench"}');`);
    for (let from = 1; from <= ROWS; from += GEN_BATCH) {
      await c.query(
        `INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
         SELECT 'doc-' || g, col.uuid, v.vec::vector,
                format(E'第%s号文档：订单明细, 含"引号"\n第二行 ', g) || left(repeat(md5(g::text) || ' ', 6), 170),
                jsonb_build_object('id', g, 'source', 's3-bench')
           FROM langchain_pg_collection col, generate_series($1::int, $2::int) g,
                LATERAL (SELECT array_agg(random()::real) AS vec FROM generate_series(1, $3::int) WHERE g > 0) v`,
        [from, Math.min(ROWS, from + GEN_BATCH - 1), DIM],
      );
    }
    await c.query('VACUUM ANALYZE langchain_pg_embedding');
    await c.query('CHECKPOINT');
  });
}

const countEmbeddings = () =>
  withClient(DB_URL, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM langchain_pg_embedding')).rows[0]!.n);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface Server { pid: number; url: string; stop: () => Promise<void>; rss: { max: number } }

async function startServer(work: string, extraEnv: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const out = fs.openSync(path.join(work, 'server.out'), 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: DB_URL, PORT: String(port), HOST: '127.0.0.1', DATA_PIPELINE_ROOT: DATA_REL, LOG_DIR: './logs', LOG_LEVEL: 'warn', ...extraEnv };
  for (const k of ['VECTOR_DATABASE_URL', 'BUSINESS_DATABASE_URL', 'API_TOKEN']) delete env[k];
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src', 'main.ts')], { cwd: work, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) => child.on('exit', (code, sig) => ((exited = `code=${code} signal=${sig}`), resolve())));
  const rss = { max: 0 };
  const sampler = setInterval(() => (rss.max = Math.max(rss.max, procStatus(child.pid!, 'VmRSS'))), 50);
  const stop = async () => {
    clearInterval(sampler);
    if (exited === null) child.kill('SIGTERM');
    await exit;
  };
  const url = `http://127.0.0.1:${port}/api/v0`;
  for (const deadline = Date.now() + 60_000; ; ) {
    if (exited !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`server did not become healthy (${exited ?? 'timeout'}):\n${fs.readFileSync(path.join(work, 'server.out'), 'utf8').slice(-3000)}`);
    }
    if (await fetch(`${url}/health`).then((r) => r.status === 200, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, url, stop, rss };
}

async function post(server: Server, route: string, body: unknown): Promise<Record<string, any>> {
  const res = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const reply = (await res.json()) as { success: boolean; data: Record<string, any> };
  if (res.status !== 200 || !reply.success) throw new Error(`POST ${route} → ${res.status}: ${JSON.stringify(reply).slice(0, 2000)}`);
  return reply.data;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [(performance.now() - t0) / 1000, value];
}

/** One backup and one restore on a fresh server with the given store. */
async function benchStore(kind: 'local' | 's3', env: Record<string, string>) {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), `t2s-s3-bench-${kind}-`));
  const server = await startServer(work, env);
  try {
    const rssStart = procStatus(server.pid, 'VmRSS');
    const [backupS, backup] = await timed(() => post(server, '/data_pipeline/vector/backup', {}));
    if (backup.tables_backed_up?.langchain_pg_embedding?.row_count !== ROWS) throw new Error(`backup rows: ${JSON.stringify(backup.tables_backed_up)}`);
    const stamp = backup.backup_timestamp as string;
    const rssAfterBackup = server.rss.max;
    const [restoreS, restore] = await timed(() =>
      post(server, '/data_pipeline/vector/restore', { backup_path: `${DATA_REL}/vector_bak`, timestamp: stamp, truncate_before_restore: true }));
    if (restore.restore_results?.langchain_pg_embedding?.rows_restored !== ROWS || (await countEmbeddings()) !== ROWS) {
      throw new Error(`restore rows: ${JSON.stringify(restore.restore_results)}`);
    }
    const vmHwm = procStatus(server.pid, 'VmHWM');
    const bytes = backup.tables_backed_up.langchain_pg_embedding.bytes as number;
    await fetch(`${server.url}/data_pipeline/vector/backups`, {
      method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ backup_path: `${DATA_REL}/vector_bak`, timestamp: stamp }),
    });
    const result = { kind, backup_s: backupS, restore_s: restoreS, file_mib: bytes / MiB, rss_start_mib: rssStart / MiB, max_rss_backup_mib: rssAfterBackup / MiB, max_rss_mib: server.rss.max / MiB, vmhwm_mib: vmHwm / MiB, load_path: restore.restore_results.langchain_pg_embedding.load_path };
    console.log(`   ${kind}: backup ${backupS.toFixed(2)} s, restore ${restoreS.toFixed(2)} s, file ${result.file_mib.toFixed(0)} MiB, RSS start ${result.rss_start_mib.toFixed(0)} MiB, max ${result.max_rss_mib.toFixed(0)} MiB (VmHWM ${result.vmhwm_mib.toFixed(0)})`);
    return result;
  } finally {
    await server.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = new Date();
  console.log(`== ${ROWS} rows × dim ${DIM}: generating…`);
  const [genS] = await timed(createDatabase);
  console.log(`   generated in ${genS.toFixed(1)} s`);
  const s3dir = await fsp.mkdtemp(path.join(os.tmpdir(), 't2s-s3-bench-s3rver-'));
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3.run();
  const s3env = {
    BACKUP_STORAGE: 's3', S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_REGION: 'us-east-1', S3_BUCKET: BUCKET, S3_PREFIX: 'bench',
    S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_FORCE_PATH_STYLE: 'true',
  };
  try {
    const local = await benchStore('local', {});
    const onS3 = await benchStore('s3', s3env);
    const ratios = { backup: onS3.backup_s / local.backup_s, restore: onS3.restore_s / local.restore_s };
    console.log(`\n| store | backup s | restore s | max RSS MiB | VmHWM MiB |\n|---|---|---|---|---|`);
    for (const r of [local, onS3]) console.log(`| ${r.kind} | ${r.backup_s.toFixed(2)} | ${r.restore_s.toFixed(2)} | ${r.max_rss_mib.toFixed(0)} | ${r.vmhwm_mib.toFixed(0)} |`);
    console.log(`S3 / local: backup ${ratios.backup.toFixed(2)}×, restore ${ratios.restore.toFixed(2)}× (target ≤ 1.3×)`);
    const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '_');
    const out = path.join(ROOT, 'bench', 'results', `s3-${stamp}.json`);
    await fsp.mkdir(path.dirname(out), { recursive: true });
    await fsp.writeFile(out, `${JSON.stringify({ started: started.toISOString(), rows: ROWS, dim: DIM, node: process.version, cpus: os.cpus().length, generation_s: genS, local, s3: onS3, ratios }, null, 2)}\n`);
    console.log(`results: ${path.relative(process.cwd(), out)}`);
  } finally {
    await s3.close();
    await fsp.rm(s3dir, { recursive: true, force: true });
    await dropDatabase().catch((err: Error) => console.error(`could not drop ${DB}: ${err.message}`));
  }
}

await main();
