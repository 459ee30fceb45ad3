-- One job engine for every kind of background work (task executions today; backup, restore,
-- verify and schedule firings next): a job has a kind, a JSON payload the kind's handler reads
-- and a JSON result it returns. Task executions keep their columns, and "one queued or running
-- execution per task" stays a database fact through idx_jobs_one_live_per_task (task_id is NULL
-- for the other kinds, and NULLs never collide in a unique index).
ALTER TABLE data_pipeline_jobs ADD COLUMN IF NOT EXISTS kind TEXT NOT NULL DEFAULT 'task_execution';
ALTER TABLE data_pipeline_jobs ADD COLUMN IF NOT EXISTS payload JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE data_pipeline_jobs ADD COLUMN IF NOT EXISTS result JSONB;
ALTER TABLE data_pipeline_jobs ALTER COLUMN task_id DROP NOT NULL;
ALTER TABLE data_pipeline_jobs ALTER COLUMN execution_mode DROP NOT NULL;
ALTER TABLE data_pipeline_jobs DROP CONSTRAINT IF EXISTS data_pipeline_jobs_task_execution_shape;
ALTER TABLE data_pipeline_jobs ADD CONSTRAINT data_pipeline_jobs_task_execution_shape
    CHECK (kind <> 'task_execution' OR (task_id IS NOT NULL AND execution_mode IS NOT NULL));
-- Workers claim only the kinds they have handlers for (a newer server may enqueue kinds an older
-- one sharing the database does not know).
DROP INDEX IF EXISTS idx_jobs_queued;
CREATE INDEX IF NOT EXISTS idx_jobs_queued ON data_pipeline_jobs (kind, created_at) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS idx_jobs_kind_created ON data_pipeline_jobs (kind, created_at DESC);
