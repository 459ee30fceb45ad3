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
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import {
  call, countEmbeddings, createBenchDatabase, DATA_REL, dropBenchDatabase, envInt, MiB, post, procStatus, timed, tsxServerArgs, withServer, writeResults,
} from './lib/bench-support.js';

const ROWS = envInt('BENCH_ROWS', 100_000);
const DIM = envInt('BENCH_DIM', 1024);
const BUCKET = 'bench';

/** One backup and one restore on a fresh server with the given store. */
async function benchStore(kind: 'local' | 's3', env: Record<string, string>) {
  // src/main.ts through tsx, no build, as when bench/README.md's figures were measured.
  return withServer(`t2s-s3-bench-${kind}-`, tsxServerArgs(), async (server) => {
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
    await call(server, 'DELETE', '/data_pipeline/vector/backups', { backup_path: `${DATA_REL}/vector_bak`, timestamp: stamp });
    const result = { kind, backup_s: backupS, restore_s: restoreS, file_mib: bytes / MiB, rss_start_mib: rssStart / MiB, max_rss_backup_mib: rssAfterBackup / MiB, max_rss_mib: server.rss.max / MiB, vmhwm_mib: vmHwm / MiB, load_path: restore.restore_results.langchain_pg_embedding.load_path };
    console.log(`   ${kind}: backup ${backupS.toFixed(2)} s, restore ${restoreS.toFixed(2)} s, file ${result.file_mib.toFixed(0)} MiB, RSS start ${result.rss_start_mib.toFixed(0)} MiB, max ${result.max_rss_mib.toFixed(0)} MiB (VmHWM ${result.vmhwm_mib.toFixed(0)})`);
    return result;
  }, env);
}

async function main(): Promise<void> {
  const started = new Date();
  console.log(`== ${ROWS} rows × dim ${DIM}: generating…`);
  const genS = await createBenchDatabase(ROWS, DIM, { label: 's3-bench' });
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
    const out = await writeResults('s3', started, { rows: ROWS, dim: DIM, generation_s: genS, local, s3: onS3, ratios });
    console.log(`results: ${path.relative(process.cwd(), out)}`);
  } finally {
    await s3.close();
    await fsp.rm(s3dir, { recursive: true, force: true });
    await dropBenchDatabase().catch((err: Error) => console.error(`could not drop the bench database: ${err.message}`));
  }
}

await main();
