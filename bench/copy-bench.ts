/**
 * COPY benchmark: the server's vector backup/restore (over HTTP) against the psql `\copy` baseline.
 *
 *   BENCH_ROWS=10000,100000 BENCH_DIM=1024 BENCH_REPEAT=3 npm run bench:copy
 *
 * Per row count: fresh bench database (`t2s_bench_<pid>`) with random vectors, a fresh server process (so its
 * VmHWM belongs to that row count alone), then BENCH_REPEAT rounds of backup and restore, each pair
 * run in alternating order so caches and WAL state do not favour one side. Medians are reported.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  buildServer, countEmbeddings, createBenchDatabase, CSV, DATA_REL, dropBenchDatabase, envInt, gitDescribe, median, MiB,
  post, printTable as printMarkdownTable, procStatus, psql, timed, withServer, writeResults,
} from './lib/bench-support.js';

const ROWS = (process.env.BENCH_ROWS ?? '10000,100000').split(',').map((s) => Number(s.trim()));
const DIM = envInt('BENCH_DIM', 1024);
const REPEAT = envInt('BENCH_REPEAT', 3);

if (ROWS.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad BENCH_ROWS: ${ROWS.join(',')}`);

async function checkEmbeddings(expected: number, after: string): Promise<void> {
  const n = await countEmbeddings();
  if (n !== expected) throw new Error(`after ${after}: langchain_pg_embedding has ${n} rows, expected ${expected}`);
}

let serverCommand: string[] = [];

// ---------- one row count ----------

async function benchRows(rows: number) {
  console.log(`\n== ${rows} rows × dim ${DIM}: generating…`);
  const genSeconds = await createBenchDatabase(rows, DIM);
  console.log(`   generated in ${genSeconds.toFixed(1)} s`);
  return withServer('t2s-copy-bench-', serverCommand, async (srv) => {
    const bakDir = path.join(srv.work, DATA_REL, 'vector_bak');
    const psqlFile = (t: string) => path.join(srv.work, `psql_${t}.csv`);
    const t = { psqlBackup: [] as number[], serverBackup: [] as number[], psqlRestore: [] as number[], serverRestore: [] as number[] };
    const serverReported = { backup: [] as number[], restore: [] as number[] };
    let fileBytes = 0;
    let psqlFileBytes = 0;
    const loadPaths = new Set<string>();
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
      const script = path.join(srv.work, 'restore.sql');
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
          await checkEmbeddings(rows, 'psql restore');
        },
        async () => {
          const [s, data] = await timed(() =>
            post(srv, '/data_pipeline/vector/restore', { backup_path: `${DATA_REL}/vector_bak`, timestamp: stamp, truncate_before_restore: true }));
          const e = data.restore_results?.langchain_pg_embedding;
          if (e?.rows_restored !== rows) throw new Error(`restore rows_restored: ${JSON.stringify(data.restore_results)}`);
          loadPaths.add(e.load_path);
          t.serverRestore.push(s);
          serverReported.restore.push(data.duration);
          await checkEmbeddings(rows, 'server restore');
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
  });
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
  console.log(`\nmedian of ${REPEAT} run(s); × = server / psql; rows/s from the medians`);
  printMarkdownTable(head, body);
}

async function main(): Promise<void> {
  const started = new Date();
  serverCommand = await buildServer();
  // src/ changes under us: record which code the numbers belong to.
  const git = await gitDescribe();
  console.log(`git ${git}; server: node ${serverCommand.join(' ')}; rows ${ROWS.join(',')}; dim ${DIM}; repeat ${REPEAT}`);
  const results: Result[] = [];
  try {
    for (const rows of ROWS) results.push(await benchRows(rows));
  } finally {
    await dropBenchDatabase().catch((err: Error) => console.error(`could not drop the bench database: ${err.message}`));
  }
  printTable(results);
  const out = await writeResults('copy', started, { git, server: serverCommand.join(' '), results });
  console.log(`\nresults: ${path.relative(process.cwd(), out)}`);
}

await main();
