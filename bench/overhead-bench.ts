/**
 * Cost of the job machinery in the COPY path: SHA-256 tap + progress counter, backup and restore.
 *
 *   BENCH_ROWS=100000 BENCH_DIM=1024 BENCH_REPEAT=3 npm run bench:overhead
 *
 * Both variants are the product's pipeline, built here from the product's own modules (COPY
 * helpers of src/db/copy.ts, chunk batcher, durable file sink, SHA-256 tap, TransferProgress and
 * runWithProgress with a report like the job runner's), in this process against the bench
 * database; "bare" leaves out exactly the tap and the counter (and the progress reporting they
 * feed). Why a bench-side build rather than a switch in the services: a switch that turns off
 * checksums would be one more way to write an unchecked set, and reachable from a request sooner
 * or later; here it cannot be. What the services add around the pipeline (locks, manifest,
 * snapshot facts) is the same with or without the stages and is measured by bench:copy.
 *
 * Only langchain_pg_embedding is timed (the collection table is a few rows). Rounds alternate
 * which variant goes first; medians are reported; target: overhead ≤ 5 %.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { TransferProgress } from '../src/backups/job-progress.js';
import { openCountedBackupFile } from '../src/backups/restore/restore-checksum.js';
import { BackupLocations } from '../src/backups/stores/backup-store.js';
import { LocalBackupStore } from '../src/backups/stores/local-backup-store.js';
import { DataRoot } from '../src/lib/data-root.js';
import { copyIn, copyOut } from '../src/db/copy.js';
import { copyTableFromStdin, copyTableToCsv } from '../src/db/sql/vector-tables.sql.js';
import { runWithProgress } from '../src/jobs/handlers/transfer-job.js';
import { createChunkBatcher } from '../src/streams/chunk-batcher.js';
import { createDurableFileSink } from '../src/streams/durable-file-sink.js';
import { createSha256Tap, type Sha256Tap } from '../src/streams/sha256-tap.js';
import {
  BENCH_DB_URL, countEmbeddings, createBenchDatabase, dropBenchDatabase, envInt, gitDescribe, loadAverage, median, MiB, printTable, writeResults,
} from './lib/bench-support.js';

const ROWS = envInt('BENCH_ROWS', 100_000);
const DIM = envInt('BENCH_DIM', 1024);
const REPEAT = envInt('BENCH_REPEAT', 3);
const TABLE = 'langchain_pg_embedding';
const COLUMNS = ['id', 'collection_id', 'embedding', 'document', 'cmetadata'];

type Variant = 'full' | 'bare';

/**
 * A job's progress as the runner sees it: every report keeps the latest snapshot; every 250 ms
 * (the runner's progress write) it is serialised as the row's JSON would be.
 */
async function withJobProgress<T extends object>(work: (progress: TransferProgress) => Promise<T>): Promise<T> {
  let latest: object = {};
  let writes = 0;
  const writer = setInterval(() => (writes += JSON.stringify(latest).length > 0 ? 1 : 0), 250);
  try {
    return await runWithProgress({ report: (p) => (latest = p) }, 'copy', work);
  } finally {
    clearInterval(writer);
  }
}

/** CPU seconds (user + system) this process used since `since`: the stages' own cost, whatever else runs on the machine. */
const cpuSince = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

async function backup(pool: pg.Pool, variant: Variant, file: string): Promise<{ seconds: number; cpu: number; sha256: string | null; bytes: number }> {
  const client = await pool.connect();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let tap: Sha256Tap | null = null;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const sql = copyTableToCsv(TABLE, COLUMNS);
    if (variant === 'bare') {
      await copyOut(client, sql, [createChunkBatcher(), createDurableFileSink(file)]);
    } else {
      await withJobProgress(async (progress) => {
        progress.expect([{ table: TABLE, rows: ROWS }]);
        tap = createSha256Tap();
        return { rows: await copyOut(client, sql, [createChunkBatcher(), progress.counter(TABLE), tap, createDurableFileSink(file)]) };
      });
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSince(c0);
  const t = tap as Sha256Tap | null;
  return { seconds, cpu, sha256: t?.sha256() ?? null, bytes: (await fsp.stat(file)).size };
}

async function restore(pool: pg.Pool, variant: Variant, file: string, sha256: string): Promise<{ seconds: number; cpu: number }> {
  const client = await pool.connect();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  try {
    await client.query('BEGIN');
    await client.query(`TRUNCATE ${TABLE}`);
    const sql = copyTableFromStdin(TABLE, COLUMNS);
    if (variant === 'bare') {
      await copyIn(client, sql, fs.createReadStream(file, { highWaterMark: 256 * 1024 }));
    } else {
      await withJobProgress(async (progress) => {
        progress.expect([{ table: TABLE, bytes: (await fsp.stat(file)).size }]);
        // As restore-service.ts: the file opened with its checksum checked and counted.
        // Read through the local backup store as the product does: the file lives in <work>/vector_bak/.
        const store = new LocalBackupStore(new BackupLocations(new DataRoot(path.dirname(path.dirname(file)))));
        const item = { table: TABLE, file: path.basename(file), store, location: store.locations.global(), sha256 };
        return { rows: await copyIn(client, sql, openCountedBackupFile(item, progress)) };
      });
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuSince(c0) };
}

async function main(): Promise<void> {
  const started = new Date();
  const git = await gitDescribe();
  console.log(`git ${git}; rows ${ROWS}; dim ${DIM}; repeat ${REPEAT}; ${loadAverage()}; generating…`);
  const genSeconds = await createBenchDatabase(ROWS, DIM);
  console.log(`generated in ${genSeconds.toFixed(1)} s`);
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 't2s-overhead-bench-'));
  await fsp.mkdir(path.join(work, 'vector_bak'));
  const pool = new pg.Pool({ connectionString: BENCH_DB_URL, max: 2 });
  const runs: Record<'backup' | 'restore', Record<Variant, number[]>> = { backup: { full: [], bare: [] }, restore: { full: [], bare: [] } };
  const cpu: typeof runs = { backup: { full: [], bare: [] }, restore: { full: [], bare: [] } };
  let fileBytes = 0;
  try {
    for (let r = 0; r < REPEAT; r++) {
      const order: Variant[] = r % 2 === 0 ? ['full', 'bare'] : ['bare', 'full'];
      let sha256 = '';
      const files: Record<Variant, string> = { full: path.join(work, 'vector_bak', 'full.csv'), bare: path.join(work, 'vector_bak', 'bare.csv') };
      for (const v of order) {
        const b = await backup(pool, v, files[v]);
        runs.backup[v].push(b.seconds);
        cpu.backup[v].push(b.cpu);
        if (b.sha256) sha256 = b.sha256;
        fileBytes = b.bytes;
      }
      // Both restore the same file (the full backup's, whose checksum is known).
      for (const v of order) {
        const r = await restore(pool, v, files.full, sha256);
        runs.restore[v].push(r.seconds);
        cpu.restore[v].push(r.cpu);
        const n = await countEmbeddings();
        if (n !== ROWS) throw new Error(`${v} restore left ${n} rows, expected ${ROWS}`);
      }
      for (const f of Object.values(files)) await fsp.rm(f, { force: true });
      console.log(`round ${r + 1}/${REPEAT} (${order[0]} first): backup full ${runs.backup.full[r]!.toFixed(2)} s / bare ${runs.backup.bare[r]!.toFixed(2)} s; ` +
        `restore full ${runs.restore.full[r]!.toFixed(2)} s / bare ${runs.restore.bare[r]!.toFixed(2)} s; ` +
        `node CPU backup ${cpu.backup.full[r]!.toFixed(2)} / ${cpu.backup.bare[r]!.toFixed(2)} s, restore ${cpu.restore.full[r]!.toFixed(2)} / ${cpu.restore.bare[r]!.toFixed(2)} s`);
    }
  } finally {
    await pool.end();
    await fsp.rm(work, { recursive: true, force: true });
    await dropBenchDatabase().catch((err: Error) => console.error(`could not drop the bench database: ${err.message}`));
  }
  const summary = (['backup', 'restore'] as const).map((op) => {
    const full = median(runs[op].full);
    const bare = median(runs[op].bare);
    const extraCpu = median(cpu[op].full) - median(cpu[op].bare);
    // On an idle machine the stages' CPU could at worst add their own time to the wall time (if
    // nothing overlapped): an upper bound that other load on the machine does not inflate.
    return { op, full_s: full, bare_s: bare, overhead: full / bare - 1, cpu_full_s: median(cpu[op].full), cpu_bare_s: median(cpu[op].bare), extra_cpu_s: extraCpu, cpu_bound_overhead: extraCpu / bare };
  });
  console.log(`\n${ROWS} rows × dim ${DIM}, file ${(fileBytes / MiB).toFixed(1)} MiB; median of ${REPEAT}; overhead = full / bare − 1 (target ≤ 5 %)`);
  printTable(
    ['operation', 'bare s', 'with sha256 + progress s', 'overhead (wall)', '≤ 5 %?', 'node CPU bare / full s', 'extra CPU / bare wall'],
    summary.map((s) => [s.op, s.bare_s.toFixed(2), s.full_s.toFixed(2), `${(s.overhead * 100).toFixed(1)} %`, s.overhead <= 0.05 ? 'yes' : 'NO',
      `${s.cpu_bare_s.toFixed(2)} / ${s.cpu_full_s.toFixed(2)}`, `${(s.cpu_bound_overhead * 100).toFixed(1)} %`]),
  );
  const out = await writeResults('overhead', started, { git, rows: ROWS, dim: DIM, repeat: REPEAT, file_bytes: fileBytes, generation_s: genSeconds, runs_s: runs, cpu_s: cpu, summary });
  console.log(`${loadAverage()}\nresults: ${path.relative(process.cwd(), out)}`);
}

await main();
