-- Backup schedules (SPEC §7 "Schedules"): a cron expression in a time zone and the backup request
-- each firing enqueues as a vector_backup job. next_run_at is stored (not recomputed by each
-- server) so that every server sharing the database agrees on which firing is due.
CREATE TABLE IF NOT EXISTS backup_schedules (
    schedule_id TEXT PRIMARY KEY,
    cron        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    request     JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_run_at TIMESTAMPTZ NOT NULL,
    last_job_id TEXT
);
-- The schedule runners' scan: due schedules, oldest first.
CREATE INDEX IF NOT EXISTS idx_backup_schedules_next_run ON backup_schedules (next_run_at);
-- One row per firing: the primary key makes "each firing runs once" a database fact, whatever
-- the row locks (FOR UPDATE SKIP LOCKED keeps servers apart; this is the guarantee behind it).
-- A deleted schedule takes its history with it.
CREATE TABLE IF NOT EXISTS backup_schedule_firings (
    schedule_id TEXT NOT NULL REFERENCES backup_schedules (schedule_id) ON DELETE CASCADE,
    fire_at     TIMESTAMPTZ NOT NULL,
    job_id      TEXT NOT NULL,
    fired_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule_id, fire_at)
);
