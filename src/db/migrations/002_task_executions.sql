-- Durable task executions (SPEC §4/§5): one row per execute request, claimed by workers with
-- FOR UPDATE SKIP LOCKED. The partial unique index makes "one queued or running execution per
-- task" a database fact, so a second execute is a 409 even across server processes.
CREATE TABLE IF NOT EXISTS data_pipeline_jobs (
    job_id          TEXT PRIMARY KEY,
    task_id         VARCHAR(64) NOT NULL REFERENCES data_pipeline_tasks (task_id) ON DELETE CASCADE,
    execution_mode  TEXT NOT NULL CHECK (execution_mode IN ('complete', 'step')),
    step_name       TEXT CHECK (step_name IN ('ddl_generation', 'qa_generation', 'sql_validation', 'training_load')),
    options         JSONB NOT NULL DEFAULT '{}'::jsonb,
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'active', 'completed', 'failed', 'cancelled')),
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    worker_id       TEXT,
    progress        JSONB,
    error_message   TEXT,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    heartbeat_at    timestamptz,
    completed_at    timestamptz
);

CREATE UNIQUE INDEX IF NOT EXISTS idx_jobs_one_live_per_task
    ON data_pipeline_jobs (task_id) WHERE state IN ('queued', 'active');
CREATE INDEX IF NOT EXISTS idx_jobs_queued ON data_pipeline_jobs (created_at) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS idx_jobs_task ON data_pipeline_jobs (task_id, created_at DESC);

-- The task's connection string (with its password) lives here, never in `parameters`, which
-- holds the redacted form that replies, task_config.json and dashboards show.
ALTER TABLE data_pipeline_tasks ADD COLUMN IF NOT EXISTS db_connection TEXT;
