import { Transform } from 'node:stream';
import { query, type PoolClient } from '../db/pool.js';
import { estimateTableRows } from '../db/sql/vector-jobs.sql.js';
import { createProgressCounter } from '../streams/progress-counter.js';

/** SPEC §7: where a backup, restore or verify job is. */
export const PROGRESS_PHASES = ['snapshot', 'copy', 'checksum', 'index', 'commit', 'done'] as const;
export type ProgressPhase = (typeof PROGRESS_PHASES)[number];

export interface TransferCounts {
  rows_done: number;
  rows_total: number | null;
  bytes_done: number;
  bytes_total: number | null;
  percent: number;
  rows_per_sec: number | null;
  eta_seconds: number | null;
}

/** The index a restore is rebuilding, from pg_stat_progress_create_index (SPEC §7 `index` phase). */
export interface IndexBuildProgress {
  table: string;
  index: string;
  /** The server's own phase name (`building index: loading tuples`, …); null before it reports one. */
  build_phase: string | null;
  /** Of this index: blocks or tuples done / total, whichever the server reports. */
  percent: number;
  /** Indexes rebuilt so far / to rebuild in this restore. */
  indexes_done: number;
  indexes_total: number;
}

export interface ProgressSnapshot extends TransferCounts {
  phase: ProgressPhase;
  tables: Record<string, TransferCounts>;
  index?: IndexBuildProgress;
}

interface TableState {
  rows: number;
  bytes: number;
  rowsTotal: number | null;
  bytesTotal: number | null;
  done: boolean;
}

/**
 * The progress of one backup or restore, fed by the services' hooks (`expect` totals, a `counter`
 * stage per table in the COPY pipeline, `phase` changes) and read as SPEC §7's `progress` object.
 * `percent` comes from bytes where every total is known (restore: file sizes), else from rows
 * (backup: catalog estimates); it never goes backwards (a stale estimate, a load retried through
 * the parsing path) and stays below 100 until `finish()`: only success reaches 100.
 * `onChange(urgent)` is called on every count (urgent: a phase change) for the publisher to throttle.
 */
export class TransferProgress {
  private current: ProgressPhase;
  private readonly tables = new Map<string, TableState>();
  private copyStarted: number | null = null;
  private percent = 0;
  private indexBuild: IndexBuildProgress | null = null;

  constructor(
    initialPhase: ProgressPhase,
    private readonly onChange: (urgent: boolean) => void = () => undefined,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.current = initialPhase;
  }

  phase(phase: ProgressPhase): void {
    if (phase === this.current) return;
    this.current = phase;
    this.onChange(true);
  }

  /** The index being rebuilt (its own percent; the overall one stays below 100 until finish()). */
  index(state: IndexBuildProgress): void {
    this.indexBuild = state;
    this.phase('index');
    this.onChange(false);
  }

  /** Totals known before the copy: file sizes (restore), catalog estimates (backup), manifest rows. */
  expect(totals: ReadonlyArray<{ table: string; rows?: number | null; bytes?: number | null }>): void {
    for (const t of totals) {
      const state = this.table(t.table);
      if (t.rows !== undefined) state.rowsTotal = t.rows;
      if (t.bytes !== undefined) state.bytesTotal = t.bytes;
    }
    this.onChange(false);
  }

  /**
   * A pass-through stage counting `table`'s rows and bytes (a CSV stream starts with a header; a
   * binary COPY stream's rows are its tuples). A new counter starts the table over: a load retried
   * on another path counts its rows once. `countBytes: false` where the bytes are counted elsewhere
   * by `storedBytes` (a gzip file: the rows are in the decompressed stream, the total is the
   * compressed file's size).
   */
  counter(table: string, options: { countBytes?: boolean; format?: 'csv' | 'binary' } = {}): Transform {
    const countBytes = options.countBytes !== false;
    const format = options.format ?? 'csv';
    const state = this.table(table);
    state.rows = 0;
    state.bytes = 0;
    state.done = false;
    this.copyStarted ??= this.clock();
    this.phase('copy');
    return createProgressCounter(
      (rows, bytes) => {
        state.rows += rows;
        if (countBytes) state.bytes += bytes;
        this.onChange(false);
      },
      format === 'binary' ? { binary: true } : { header: true },
    ).once('end', () => {
      // The whole table went through: its real size replaces the estimate.
      state.done = true;
      state.rowsTotal = state.rows;
      state.bytesTotal = state.bytes;
      this.onChange(false);
    });
  }

  /** Counts `table`'s bytes as stored (before decompression), for a `counter(table, { countBytes: false })` created first. */
  storedBytes(table: string): Transform {
    const state = this.table(table);
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        state.bytes += chunk.length;
        callback(null, chunk);
      },
    });
  }

  /** Success: every total is what was counted, and percent is 100. */
  finish(): void {
    for (const state of this.tables.values()) {
      state.done = true;
      state.rowsTotal = state.rows;
      state.bytesTotal = state.bytes;
    }
    this.percent = 100;
    this.phase('done');
    this.onChange(true);
  }

  snapshot(): ProgressSnapshot {
    const elapsed = this.copyStarted === null ? 0 : (this.clock() - this.copyStarted) / 1000;
    const states = [...this.tables.values()];
    // No table known yet (read before the totals arrive) is an unknown total, not an empty job
    // done: percent never goes back, so a 99 taken from a total of 0 would stick through the copy.
    const sum = (pick: (s: TableState) => number | null) =>
      states.length === 0 || states.some((s) => pick(s) === null) ? null : states.reduce((n, s) => n + pick(s)!, 0);
    const overall = counts(sum((s) => s.rows) ?? 0, sum(totalRows), sum((s) => s.bytes) ?? 0, sum(totalBytes), elapsed);
    if (this.current !== 'done') this.percent = Math.max(this.percent, Math.min(99, overall.percent));
    const tables: Record<string, TransferCounts> = {};
    for (const [name, s] of this.tables) {
      tables[name] = counts(s.rows, totalRows(s), s.bytes, totalBytes(s), elapsed);
      if (s.done) tables[name]!.percent = 100;
    }
    return { phase: this.current, ...overall, percent: this.percent, tables, ...(this.indexBuild ? { index: { ...this.indexBuild } } : {}) };
  }

  private table(name: string): TableState {
    let state = this.tables.get(name);
    if (!state) {
      state = { rows: 0, bytes: 0, rowsTotal: null, bytesTotal: null, done: false };
      this.tables.set(name, state);
    }
    return state;
  }
}

/** A total never below what was already counted (a stale estimate, rows added since ANALYZE). */
const totalRows = (s: TableState) => (s.rowsTotal === null ? null : Math.max(s.rowsTotal, s.rows));
const totalBytes = (s: TableState) => (s.bytesTotal === null ? null : Math.max(s.bytesTotal, s.bytes));

function counts(rows: number, rowsTotal: number | null, bytes: number, bytesTotal: number | null, elapsed: number): TransferCounts {
  // Bytes when their total is known (exact file sizes), else rows (estimates), else nothing yet.
  const [done, total] = bytesTotal !== null ? [bytes, bytesTotal] : rowsTotal !== null ? [rows, rowsTotal] : [0, null];
  const fraction = total === null ? 0 : total === 0 ? 1 : done / total;
  const rate = elapsed > 0 ? done / elapsed : 0;
  return {
    rows_done: rows,
    rows_total: rowsTotal,
    bytes_done: bytes,
    bytes_total: bytesTotal,
    percent: Math.floor(fraction * 100),
    rows_per_sec: elapsed > 0 ? Math.round(rows / elapsed) : null,
    eta_seconds: total !== null && rate > 0 ? Math.round((total - done) / rate) : null,
  };
}

/**
 * Row totals of a backup from the catalog, read inside its snapshot (no full-table count on a big
 * table): the planner's own estimate, reltuples per page times the pages the table has now, which
 * stays right when the table grew since its last ANALYZE. A table never analyzed (reltuples -1) is
 * counted exactly only when small; otherwise its total stays unknown until it is copied.
 */
export async function estimateBackupTotals(client: PoolClient, progress: TransferProgress, tables: readonly string[]): Promise<void> {
  const totals: Array<{ table: string; rows: number | null }> = [];
  for (const table of tables) {
    const [row] = await query<{ rows: string | null }>(client, estimateTableRows(table));
    totals.push({ table, rows: row?.rows == null ? null : Number(row.rows) });
  }
  progress.expect(totals);
}
