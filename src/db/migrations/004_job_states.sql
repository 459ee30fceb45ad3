-- One set of job states for every kind (SPEC §7): queued | running | succeeded | failed |
-- cancelling | cancelled. Renames the task executions' `active` and `completed`; `cancelling` is
-- a running job whose cancel was requested and not yet taken up by its worker.
ALTER TABLE data_pipeline_jobs DROP CONSTRAINT IF EXISTS data_pipeline_jobs_state_check;
UPDATE data_pipeline_jobs SET state = 'running' WHERE state = 'active';
UPDATE data_pipeline_jobs SET state = 'succeeded' WHERE state = 'completed';
UPDATE data_pipeline_jobs SET state = 'cancelling' WHERE state = 'running' AND cancel_requested;
ALTER TABLE data_pipeline_jobs ADD CONSTRAINT data_pipeline_jobs_state_check
    CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelling', 'cancelled'));
ALTER TABLE data_pipeline_jobs ALTER COLUMN state SET DEFAULT 'queued';
DROP INDEX IF EXISTS idx_jobs_one_live_per_task;
CREATE UNIQUE INDEX IF NOT EXISTS idx_jobs_one_live_per_task
    ON data_pipeline_jobs (task_id) WHERE state IN ('queued', 'running', 'cancelling');
