import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { query, type Pool } from '../db/pool.js';
import { JOB_KINDS, type JobRow } from '../db/sql/jobs.sql.js';
import { countTasksByStatus } from '../db/sql/metrics.sql.js';
import { TASK_STATUSES } from '../tasks/task-states.js';
import type { BackupLocationStats } from './backup-stats.js';

/** Where `text2sql_copy_*` counts a finished job's rows and bytes (its last progress). */
const COPY_DIRECTION: Record<string, 'backup' | 'restore'> = {
  [JOB_KINDS.VECTOR_BACKUP]: 'backup',
  [JOB_KINDS.VECTOR_RESTORE]: 'restore',
};

// Seconds: requests are mostly milliseconds, downloads and sync backups run for minutes.
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];
// Jobs and steps: a second to an hour (a big restore, an LLM step over many tables).
const LONG_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600];

export interface MetricsSources {
  /** The app database, for the task counts. */
  appPool: Pool;
  /** Backup sets per location (cached by its provider: scrapes stay cheap). */
  backupStats: () => Promise<BackupLocationStats[]>;
}

/**
 * The Prometheus metrics of one server, in a registry of its own (never prom-client's global one:
 * two apps in one process, as in the tests, each count their own). Events are pushed in by the
 * HTTP middleware, the job runner's onJobEnd and the task execution; the catalog and task gauges
 * are computed when scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly jobDuration: Histogram<'kind' | 'state'>;
  private readonly jobsFinished: Counter<'kind' | 'state'>;
  private readonly stepDuration: Histogram<'step' | 'status'>;
  private readonly copyRows: Counter<'direction'>;
  private readonly copyBytes: Counter<'direction'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'text2sql_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern (never the raw URL) and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'text2sql_job_duration_seconds',
      help: 'Duration of finished jobs (task executions, vector backup/restore/verify) from start to end, by kind and final state',
      labelNames: ['kind', 'state'],
      buckets: LONG_BUCKETS,
      registers,
    });
    this.jobsFinished = new Counter({
      name: 'text2sql_jobs_finished_total',
      help: 'Jobs whose end was recorded, by kind and final state (also jobs failed by recovery, which never started here)',
      labelNames: ['kind', 'state'],
      registers,
    });
    this.stepDuration = new Histogram({
      name: 'text2sql_step_duration_seconds',
      help: 'Duration of pipeline steps by step name and outcome (completed, failed, cancelled)',
      labelNames: ['step', 'status'],
      buckets: LONG_BUCKETS,
      registers,
    });
    this.copyRows = new Counter({
      name: 'text2sql_copy_rows_total',
      help: 'Rows moved by COPY in backup and restore jobs, by direction',
      labelNames: ['direction'],
      registers,
    });
    this.copyBytes = new Counter({
      name: 'text2sql_copy_bytes_total',
      help: 'CSV bytes moved by COPY in backup and restore jobs, by direction',
      labelNames: ['direction'],
      registers,
    });
    const backupGauge = (name: string, help: string, value: (s: BackupLocationStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['location', 'type'],
        registers,
        async collect() {
          const stats = await sources.backupStats();
          this.reset();
          for (const s of stats) this.set({ location: s.location, type: s.type }, value(s));
        },
      });
    // One scan feeds all three (the provider caches it).
    backupGauge('text2sql_backup_sets', 'Complete backup sets per location (global vector_bak/ or a task)', (s) => s.sets);
    backupGauge('text2sql_backup_bytes', 'Bytes of the backup sets per location', (s) => s.bytes);
    backupGauge(
      'text2sql_backup_last_success_timestamp_seconds',
      'When the newest complete backup set of a location was taken, Unix seconds',
      (s) => s.lastSuccessSeconds,
    );
    new Gauge({
      name: 'text2sql_tasks',
      help: 'Tasks by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const rows = await query<{ status: string; n: number }>(sources.appPool, countTasksByStatus());
        // Every status is present, 0 when no task has it: a rate or an alert needs the series.
        for (const status of TASK_STATUSES) this.set({ status }, 0);
        for (const row of rows) this.set({ status: row.status }, row.n);
      },
    });
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** The job runner's onJobEnd: duration and outcome, and a transfer's rows and bytes. */
  jobEnded(job: JobRow): void {
    this.jobsFinished.inc({ kind: job.kind, state: job.state });
    if (job.started_at && job.completed_at) {
      this.jobDuration.observe({ kind: job.kind, state: job.state }, (job.completed_at.getTime() - job.started_at.getTime()) / 1000);
    }
    const direction = COPY_DIRECTION[job.kind];
    const progress = job.progress as { rows_done?: unknown; bytes_done?: unknown } | null;
    if (direction && progress) {
      // A failed or cancelled transfer counts what it moved before it stopped (rolled back or not).
      if (typeof progress.rows_done === 'number') this.copyRows.inc({ direction }, progress.rows_done);
      if (typeof progress.bytes_done === 'number') this.copyBytes.inc({ direction }, progress.bytes_done);
    }
  }

  stepEnded(step: string, status: string, seconds: number): void {
    this.stepDuration.observe({ step, status }, seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
