/**
 * COPY benchmark: the server's vector backup/restore (over HTTP) against the psql `\copy` baseline.
 *
 *   BENCH_ROWS=10000,100000 BENCH_DIM=1024 BENCH_REPEAT=3 npm run bench:copy
 *
 * Per row count: fresh database `t2s_bench` with random vectors, a fresh server process (so its
 * VmHWM belongs to that row count alone), then BENCH_REPEAT rounds of backup and restore, each pair
 * run in alternating order so caches and WAL state do not favour one side. Medians are reported.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createBenchDatabase,
  CSV,
  DATA_REL,
  median,
  MiB,
  PG_BASE,
  post,
  procStatus,
  psqlOn,
  ROOT,
  run,
  runStamp,
  serverCommand as buildServer,
  startServer as startBenchServer,
  timed,
  withClient,
  type Server,
} from './bench-lib.js';

const ROWS = (process.env.BENCH_ROWS ?? '10000,100000').split(',').map((s) => Number(s.trim()));
const DIM = Number(process.env.BENCH_DIM ?? 1024);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const DB = 't2s_bench';
const DB_URL = `${PG_BASE}/${DB}`;

if (ROWS.some((n) => !Number.isInteger(n) || n < 1) || !(DIM >= 1) || !(REPEAT >= 1)) {
  throw new Error(`bad BENCH_ROWS/BENCH_DIM/BENCH_REPEAT: ${ROWS.join(',')} / ${DIM} / ${REPEAT}`);
}

const psql = psqlOn(DB_URL);

// ---------- database ----------

const dropDatabase = () => withClient(`${PG_BASE}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));

// The GIN index is part of the langchain-postgres layout (the server creates it with new tables);
// it makes every COPY FROM pay realistic index maintenance, equally on both sides.
const createDatabase = (rows: number) => createBenchDatabase(DB, rows, DIM, { typedVector: false, ginIndex: true, purpose: 'copy-bench' });

async function countEmbeddings(expected: number, after: string): Promise<void> {
  const n = await withClient(DB_URL, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM langchain_pg_embedding')).rows[0]!.n);
  if (n !== expected) throw new Error(`after ${after}: langchain_pg_embedding has ${n} rows, expected ${expected}`);
}

// ---------- server ----------

let serverCommand: string[] = [];
const startServer = (work: string) => startBenchServer(serverCommand, work, DB_URL);

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
  serverCommand = await buildServer();
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
  const out = path.join(ROOT, 'bench', 'results', `copy-${runStamp(started)}.json`);
  await fsp.mkdir(path.dirname(out), { recursive: true });
  await fsp.writeFile(out, `${JSON.stringify({ started: started.toISOString(), git, server: serverCommand.join(' '), node: process.version, host: { cpus: os.cpus().length, mem_gib: os.totalmem() / 2 ** 30 }, results }, null, 2)}\n`);
  console.log(`\nresults: ${path.relative(process.cwd(), out)}`);
}

await main();
