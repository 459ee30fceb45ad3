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
 *
 * s3rver completes a multipart upload by reading every part back and writing the whole object
 * again (with its MD5), after the last part arrived: a second full copy, which AWS S3 and MinIO do
 * not make. The time its CompleteMultipartUpload takes is measured here (s3rver's store method
 * wrapped in this process) and reported beside the backup time, so the product's share is visible.
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

/** Seconds s3rver spent completing multipart uploads (its concatenation of the parts), summed. */
const completion = { seconds: 0 };

function timeCompletions(s3: S3rver): void {
  const store = (s3 as unknown as { store: { putObjectMultipart: (...args: unknown[]) => Promise<unknown> } }).store;
  const complete = store.putObjectMultipart.bind(store);
  store.putObjectMultipart = async (...args: unknown[]) => {
    const t0 = performance.now();
    try {
      return await complete(...args);
    } finally {
      completion.seconds += (performance.now() - t0) / 1000;
    }
  };
}

/** One backup and one restore on a fresh server with the given store. */
async function benchStore(kind: 'local' | 's3', env: Record<string, string>) {
  // src/main.ts through tsx, no build, as when bench/README.md's figures were measured.
  return withServer(`t2s-s3-bench-${kind}-`, tsxServerArgs(), async (server) => {
    const rssStart = procStatus(server.pid, 'VmRSS');
    completion.seconds = 0;
    // This process is s3rver (the bench itself only waits on the request): its CPU is the test server's.
    const cpu0 = process.cpuUsage();
    const [backupS, backup] = await timed(() => post(server, '/data_pipeline/vector/backup', {}));
    if (backup.tables_backed_up?.langchain_pg_embedding?.row_count !== ROWS) throw new Error(`backup rows: ${JSON.stringify(backup.tables_backed_up)}`);
    const stamp = backup.backup_timestamp as string;
    const rssAfterBackup = server.rss.max;
    const cpu = process.cpuUsage(cpu0);
    const s3rverCpuS = kind === 's3' ? (cpu.user + cpu.system) / 1e6 : 0;
    const [restoreS, restore] = await timed(() =>
      post(server, '/data_pipeline/vector/restore', { backup_path: `${DATA_REL}/vector_bak`, timestamp: stamp, truncate_before_restore: true }));
    if (restore.restore_results?.langchain_pg_embedding?.rows_restored !== ROWS || (await countEmbeddings()) !== ROWS) {
      throw new Error(`restore rows: ${JSON.stringify(restore.restore_results)}`);
    }
    const vmHwm = procStatus(server.pid, 'VmHWM');
    const bytes = backup.tables_backed_up.langchain_pg_embedding.bytes as number;
    await call(server, 'DELETE', '/data_pipeline/vector/backups', { backup_path: `${DATA_REL}/vector_bak`, timestamp: stamp });
    const result = { kind, backup_s: backupS, backup_store_completion_s: completion.seconds, backup_s3rver_cpu_s: s3rverCpuS, restore_s: restoreS, file_mib: bytes / MiB, rss_start_mib: rssStart / MiB, max_rss_backup_mib: rssAfterBackup / MiB, max_rss_mib: server.rss.max / MiB, vmhwm_mib: vmHwm / MiB, load_path: restore.restore_results.langchain_pg_embedding.load_path };
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
  timeCompletions(s3);
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
    const ownBackup = onS3.backup_s - onS3.backup_store_completion_s;
    console.log(`of the S3 backup, s3rver's CompleteMultipartUpload (re-reading and rewriting the object) took ${onS3.backup_store_completion_s.toFixed(2)} s; s3rver used ${onS3.backup_s3rver_cpu_s.toFixed(2)} CPU s of this machine's ${os.cpus().length} cores during the backup; ` +
      `without it: ${ownBackup.toFixed(2)} s = ${(ownBackup / local.backup_s).toFixed(2)}× local`);
    const out = await writeResults('s3', started, { rows: ROWS, dim: DIM, generation_s: genS, local, s3: onS3, ratios, backup_ratio_without_s3rver_completion: (onS3.backup_s - onS3.backup_store_completion_s) / local.backup_s });
    console.log(`results: ${path.relative(process.cwd(), out)}`);
  } finally {
    await s3.close();
    await fsp.rm(s3dir, { recursive: true, force: true });
    await dropBenchDatabase().catch((err: Error) => console.error(`could not drop the bench database: ${err.message}`));
  }
}

await main();
