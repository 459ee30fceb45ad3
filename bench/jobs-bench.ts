/**
 * The server under an async restore: its memory, and how fast status polling stays.
 *
 *   BENCH_ROWS=100000 BENCH_DIM=1024 BENCH_POLL_SECONDS=10 npm run bench:jobs
 *
 * One fresh `node dist/main.js` (its /proc/<pid>/status sampled every 50 ms) against the bench
 * database; a synchronous backup makes the set, then:
 *  1. one async restore (truncate_before_restore) alone: duration, VmRSS peak during it;
 *  2. idle: `GET /tasks/{id}` at 400 req/s (SPEC §10's figure) for BENCH_POLL_SECONDS;
 *  3. async restores run back to back while `GET /tasks/{id}` at 400 req/s, then
 *     `GET /vector/jobs/{id}` (the job running at that moment) at 500 req/s, each for
 *     BENCH_POLL_SECONDS (autocannon, fixed rate, latencies corrected for coordinated omission).
 * An unknown route at 400 req/s idle and during is the floor (the app's middleware and a 404 envelope,
 * no database, no file): what any request costs on this machine at that moment. (`/health` is not: it
 * queries the database three times.) Below that, the machine's own floor: a ten-line `node:http` server
 * in its own process (no framework, one fixed JSON reply), polled at 500 req/s idle and during a
 * restore by the same autocannon: what p99 this machine gives any Node server while PostgreSQL
 * parses CSV on one of its cores.
 * Targets: VmRSS ≤ 200 MB during restores; tasks p99 during ≤ 3× idle and ≤ 50 ms; jobs p99 < 20 ms.
 * BENCH_CPU_PROF=1 runs the server with --cpu-prof and prints where its thread spent the time.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import autocannon, { type Result } from 'autocannon';
import {
  buildServer, call, countEmbeddings, createBenchDatabase, DATA_REL, dropBenchDatabase, envInt, gitDescribe, loadAverage, MiB, printTable, procStatus,
  withServer, writeResults, type BenchServer,
} from './lib/bench-support.js';
import { topFunctions } from './lib/cpu-profile.js';

const ROWS = envInt('BENCH_ROWS', 100_000);
const DIM = envInt('BENCH_DIM', 1024);
const POLL_SECONDS = envInt('BENCH_POLL_SECONDS', 10);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const TASK_RATE = 400;
const JOB_RATE = 500;
const MB = 1e6;
const ENDED = ['succeeded', 'failed', 'cancelled'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine's floor: a bare node:http server in a child process, one fixed JSON envelope per request. */
const BARE_SERVER = `
const server = require('node:http').createServer((req, res) => {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ success: true, code: 200, message: 'ok', data: { status: 'running' } }));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

async function withBareServer<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', (code) => reject(new Error(`bare server exited (${code})`)));
    });
    return await fn(`http://127.0.0.1:${port}/`);
  } finally {
    child.kill();
  }
}

/** Restores of the backup set, one after another until stopped; tracks the running job and memory. */
class RestoreLoop {
  current: string | null = null;
  readonly jobs: Array<{ job_id: string; status: string; seconds: number; rows_per_sec: number | null }> = [];
  maxRss = 0;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly server: BenchServer, private readonly stamp: string) {}

  /** One restore to its end. */
  async once(): Promise<void> {
    const t0 = performance.now();
    const body = { backup_path: `${DATA_REL}/vector_bak`, timestamp: this.stamp, truncate_before_restore: true, async: true };
    const { job_id } = await call(this.server, 'POST', '/data_pipeline/vector/restore', body, 202);
    this.current = job_id;
    for (;;) {
      this.maxRss = Math.max(this.maxRss, procStatus(this.server.pid, 'VmRSS'));
      const job = await call(this.server, 'GET', `/data_pipeline/vector/jobs/${job_id}`);
      if (ENDED.includes(job.status)) {
        if (job.status !== 'succeeded') throw new Error(`restore ${job_id} ${job.status}: ${job.error}`);
        this.jobs.push({ job_id, status: job.status, seconds: (performance.now() - t0) / 1000, rows_per_sec: job.progress?.rows_per_sec ?? null });
        return;
      }
      await sleep(50);
    }
  }

  start(): void {
    this.stopped = false;
    this.done = (async () => {
      while (!this.stopped) await this.once();
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

async function load(url: string, rate: number, path?: () => string): Promise<Result> {
  return autocannon({
    url,
    connections: 10,
    overallRate: rate,
    duration: POLL_SECONDS,
    timeout: 10,
    ...(path ? { requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }] } : {}),
  });
}

const latency = (r: Result) => ({ p50_ms: r.latency.p50, p99_ms: r.latency.p99, max_ms: r.latency.max, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors });

async function main(): Promise<void> {
  const started = new Date();
  const serverArgs = await buildServer();
  const git = await gitDescribe();
  console.log(`git ${git}; server: node ${serverArgs.join(' ')}; rows ${ROWS}; dim ${DIM}; poll ${POLL_SECONDS} s; ${loadAverage()}; generating…`);
  const genSeconds = await createBenchDatabase(ROWS, DIM);
  console.log(`generated in ${genSeconds.toFixed(1)} s`);
  // The profile goes into the server's working directory, removed with it once read.
  const profDir = (work: string) => path.join(work, 'cpu-prof');
  const args = (work: string) => (CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir(work)}`, ...serverArgs] : serverArgs);
  try {
    await withServer('t2s-jobs-bench-', args, async (srv) => {
      const rssStart = procStatus(srv.pid, 'VmRSS');
      const backup = await call(srv, 'POST', '/data_pipeline/vector/backup', {});
      const stamp = backup.backup_timestamp as string;
      const task = await call(srv, 'POST', '/data_pipeline/tasks', { task_name: 'bench' }, 201);
      const taskUrl = `${srv.url}/data_pipeline/tasks/${task.task_id}`;
      const loop = new RestoreLoop(srv, stamp);

      // 1. One restore alone: memory of the restore itself, no polling load.
      await loop.once();
      const alone = { ...loop.jobs[0]!, max_rss_mib: loop.maxRss / MiB };
      console.log(`restore alone: ${alone.seconds.toFixed(2)} s, VmRSS max ${alone.max_rss_mib.toFixed(1)} MiB`);
      if ((await countEmbeddings()) !== ROWS) throw new Error('restore lost rows');

      // 2. Idle polling (after a short warm-up of both routes).
      await autocannon({ url: taskUrl, connections: 10, overallRate: TASK_RATE, duration: 2 });
      const floorUrl = `${srv.url}/bench-floor-no-such-route`;
      const floorIdle = latency(await load(floorUrl, TASK_RATE));
      const idle = latency(await load(taskUrl, TASK_RATE));
      console.log(`idle: floor (404) p99 ${floorIdle.p99_ms} ms; tasks p99 ${idle.p99_ms} ms (${idle.requests} requests)`);
      const bareIdle = await withBareServer(async (url) => latency(await load(url, JOB_RATE)));
      console.log(`idle: machine floor (bare node:http) p99 ${bareIdle.p99_ms} ms @${JOB_RATE}/s`);

      // 3. The same polling while restores run back to back.
      loop.start();
      while (loop.current === alone.job_id) await sleep(20);
      const floorDuring = latency(await load(floorUrl, TASK_RATE));
      const duringTasks = latency(await load(taskUrl, TASK_RATE));
      console.log(`during restore: floor (404) p99 ${floorDuring.p99_ms} ms; tasks p99 ${duringTasks.p99_ms} ms`);
      const duringJobs = latency(await load(srv.url, JOB_RATE, () => `/api/v0/data_pipeline/vector/jobs/${loop.current}`));
      console.log(`jobs during restore: p99 ${duringJobs.p99_ms} ms`);
      const bareDuring = await withBareServer(async (url) => latency(await load(url, JOB_RATE)));
      console.log(`during restore: machine floor (bare node:http) p99 ${bareDuring.p99_ms} ms @${JOB_RATE}/s`);
      await loop.stop();
      const vmHwm = procStatus(srv.pid, 'VmHWM');
      if ((await countEmbeddings()) !== ROWS) throw new Error('restores lost rows');

      const results = {
        rows: ROWS, dim: DIM, poll_seconds: POLL_SECONDS, generation_s: genSeconds, backup_file_bytes: backup.tables_backed_up?.langchain_pg_embedding?.bytes,
        restore_alone: alone, restores_under_load: loop.jobs.slice(1),
        rss: { start_mib: rssStart / MiB, max_during_restores_mib: loop.maxRss / MiB, vmhwm_whole_run_mib: vmHwm / MiB, max_sampled_whole_run_mib: srv.rss.max / MiB },
        floor_404_idle: floorIdle, floor_404_during_restore: floorDuring, bare_node_http_idle: bareIdle, bare_node_http_during_restore: bareDuring,
        tasks_idle: idle, tasks_during_restore: duringTasks, jobs_during_restore: duringJobs,
        cpu_profile: null as ReturnType<typeof topFunctions> | null,
      };
      const ok = (b: boolean) => (b ? 'yes' : 'NO');
      console.log(`\n${ROWS} rows × dim ${DIM}; restores under load: ${results.restores_under_load.length}; autocannon ${POLL_SECONDS} s per figure, 10 connections`);
      printTable(['measure', 'value', 'target', 'met?'], [
        ['async restore alone', `${alone.seconds.toFixed(2)} s (${Math.round(ROWS / alone.seconds)} rows/s)`, '', ''],
        // The issue's target is the restore's own memory; polling at 400–500 req/s grows V8's heap on top.
        ['VmRSS max, async restore alone', `${((alone.max_rss_mib * MiB) / MB).toFixed(1)} MB`, '≤ 200 MB', ok(alone.max_rss_mib * MiB <= 200 * MB)],
        ['VmRSS max, restores + polling', `${(loop.maxRss / MB).toFixed(1)} MB`, '', ''],
        ['VmHWM whole run (backup too)', `${(vmHwm / MB).toFixed(1)} MB`, '', ''],
        [`unknown route (404) p99 idle / restore @${TASK_RATE}/s`, `${floorIdle.p99_ms} / ${floorDuring.p99_ms} ms`, '(floor)', ''],
        [`machine floor: bare node:http p99 idle / restore @${JOB_RATE}/s`, `${bareIdle.p99_ms} / ${bareDuring.p99_ms} ms`, '(floor)', ''],
        [`tasks/{id} p99 idle @${TASK_RATE}/s`, `${idle.p99_ms} ms`, '', ''],
        [`tasks/{id} p99 restore @${TASK_RATE}/s`, `${duringTasks.p99_ms} ms`, '≤ 3× idle, ≤ 50 ms',
          ok(duringTasks.p99_ms <= 3 * Math.max(idle.p99_ms, 1) && duringTasks.p99_ms <= 50)],
        [`jobs/{id} p99 restore @${JOB_RATE}/s`, `${duringJobs.p99_ms} ms`, '< 20 ms', ok(duringJobs.p99_ms < 20)],
      ]);
      if (CPU_PROF) {
        await srv.stop(); // the profile is written at exit
        results.cpu_profile = topFunctions(profDir(srv.work));
        const p = results.cpu_profile;
        console.log(`\nserver thread: ${p.total_ms} ms profiled, ${p.idle_ms} ms idle, ${p.gc_ms} ms GC; busiest functions (self time, share of busy):`);
        for (const f of p.top) console.log(`  ${String(f.self_ms).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`);
      }
      const bad = [idle, duringTasks, duringJobs].filter((r) => r.non2xx > 0 || r.errors > 0);
      if (bad.length > 0) console.log(`WARNING: failed polling requests: ${JSON.stringify(bad)}`);
      const out = await writeResults('jobs', started, { git, server: serverArgs.join(' '), results });
      console.log(`${loadAverage()}\nresults: ${path.relative(process.cwd(), out)}`);
    });
  } finally {
    await dropBenchDatabase().catch((e: Error) => console.error(`could not drop the bench database: ${e.message}`));
  }
}

await main();
