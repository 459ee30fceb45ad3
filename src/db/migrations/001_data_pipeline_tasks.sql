-- Task and step tables with the original service's columns (reference §4.2), so existing SQL
-- dashboards keep working; status vocabularies extended by SPEC §5 (cancelled, skipped).
CREATE TABLE IF NOT EXISTS data_pipeline_tasks (
    task_id          VARCHAR(64) PRIMARY KEY,
    task_name        VARCHAR(255),
    task_type        VARCHAR(50) NOT NULL DEFAULT 'data_workflow'
                     CHECK (task_type IN ('data_workflow', 'complete_workflow')),
    status           VARCHAR(20) NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'in_progress', 'partial_completed', 'completed', 'failed', 'cancelled')),
    parameters       JSONB NOT NULL DEFAULT '{}'::jsonb,
    result           JSONB,
    error_message    TEXT,
    created_at       TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    started_at       TIMESTAMP,
    completed_at     TIMESTAMP,
    created_type     VARCHAR(50) DEFAULT 'api' CHECK (created_type IN ('api', 'manual', 'system')),
    by_user          VARCHAR(50),
    output_directory TEXT,
    db_name          VARCHAR(100),
    directory_exists BOOLEAN DEFAULT TRUE,
    updated_at       TIMESTAMP NULL
);

CREATE INDEX IF NOT EXISTS idx_tasks_status ON data_pipeline_tasks (status);
CREATE INDEX IF NOT EXISTS idx_tasks_created_at ON data_pipeline_tasks (created_at DESC);
CREATE INDEX IF NOT EXISTS idx_tasks_db_name ON data_pipeline_tasks (db_name);
CREATE INDEX IF NOT EXISTS idx_tasks_created_type ON data_pipeline_tasks (created_type);
CREATE INDEX IF NOT EXISTS idx_tasks_task_type ON data_pipeline_tasks (task_type);
CREATE INDEX IF NOT EXISTS idx_tasks_task_name ON data_pipeline_tasks (task_name);

CREATE TABLE IF NOT EXISTS data_pipeline_task_steps (
    id            SERIAL PRIMARY KEY,
    task_id       VARCHAR(64) NOT NULL REFERENCES data_pipeline_tasks (task_id) ON DELETE CASCADE,
    execution_id  VARCHAR(128),
    step_name     VARCHAR(50) NOT NULL
                  CHECK (step_name IN ('ddl_generation', 'qa_generation', 'sql_validation', 'training_load')),
    step_status   VARCHAR(50) NOT NULL DEFAULT 'pending'
                  CHECK (step_status IN ('pending', 'running', 'completed', 'failed', 'skipped', 'cancelled')),
    started_at    TIMESTAMP,
    completed_at  TIMESTAMP,
    error_message TEXT
);

CREATE INDEX IF NOT EXISTS idx_steps_task_id ON data_pipeline_task_steps (task_id);
CREATE INDEX IF NOT EXISTS idx_steps_step_name ON data_pipeline_task_steps (step_name);
CREATE INDEX IF NOT EXISTS idx_steps_step_status ON data_pipeline_task_steps (step_status);
CREATE INDEX IF NOT EXISTS idx_steps_started_at ON data_pipeline_task_steps (started_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS idx_steps_task_step ON data_pipeline_task_steps (task_id, step_name);
