import { query, type Pool } from '../db/pool.js';
import { JOB_KINDS } from '../db/sql/jobs.sql.js';
import { selectRecentJobRates } from '../db/sql/vector-jobs.sql.js';

export type TransferKind = 'backup' | 'restore';

/**
 * Rows per second when this server has no job of its own to learn from, measured by `npm run bench`
 * at 100,000 × 1024 dimensions on the 2-core development VM (2026-11-30, see bench/README.md):
 * backup 5,100 (bench:overhead, the pipeline with checksum and progress, 19.55 s); restore 4,400
 * (bench:jobs, an async restore through the server, 22.52 s). Vectors of other sizes move at other
 * speeds, hence "estimated", and the recent jobs' rate is preferred.
 */
export const DEFAULT_ROWS_PER_SEC: Readonly<Record<TransferKind, number>> = Object.freeze({ backup: 5100, restore: 4400 });

/** Jobs smaller than this are mostly fixed cost (connect, lock, fsync): their rate says little. */
const MIN_SAMPLE_ROWS = 1000;
/** How many recent jobs the rate is the median of. */
const SAMPLE_JOBS = 5;

export interface Throughput {
  rows_per_sec: number;
  /** `recent_jobs`: the median of this server's (and its peers') latest jobs; `default`: the constant above. */
  source: 'recent_jobs' | 'default';
  jobs_sampled: number;
}

export interface DurationEstimate {
  /** Seconds per table (rows / rows_per_sec, one decimal). */
  tables: Record<string, number>;
  estimated_seconds: number;
  throughput: Throughput;
}

/**
 * How long a backup or restore of a given number of rows should take, for dry runs. The rate is
 * the median rows_per_sec of the latest succeeded jobs of the same kind in the jobs table (their
 * final progress), which reflects this deployment's hardware, network and vector size; without
 * such jobs, DEFAULT_ROWS_PER_SEC. Shared by the backup and restore dry runs.
 */
export class DurationEstimator {
  constructor(private readonly pool: Pool) {}

  async throughput(kind: TransferKind): Promise<Throughput> {
    const jobKind = kind === 'backup' ? JOB_KINDS.VECTOR_BACKUP : JOB_KINDS.VECTOR_RESTORE;
    const rows = await query<{ rows_per_sec: number }>(this.pool, selectRecentJobRates(jobKind, MIN_SAMPLE_ROWS, SAMPLE_JOBS));
    if (rows.length === 0) return { rows_per_sec: DEFAULT_ROWS_PER_SEC[kind], source: 'default', jobs_sampled: 0 };
    return { rows_per_sec: Math.round(median(rows.map((r) => Number(r.rows_per_sec)))), source: 'recent_jobs', jobs_sampled: rows.length };
  }

  async estimate(kind: TransferKind, rowsPerTable: Record<string, number>): Promise<DurationEstimate> {
    return estimateDuration(rowsPerTable, await this.throughput(kind));
  }
}

/** Seconds per table and overall at `throughput`. */
export function estimateDuration(rowsPerTable: Record<string, number>, throughput: Throughput): DurationEstimate {
  const tables = Object.fromEntries(Object.entries(rowsPerTable).map(([table, rows]) => [table, round1(rows / throughput.rows_per_sec)]));
  const total = Object.values(rowsPerTable).reduce((n, rows) => n + rows, 0);
  return { tables, estimated_seconds: round1(total / throughput.rows_per_sec), throughput };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
