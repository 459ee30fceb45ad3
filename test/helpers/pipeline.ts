import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createPool, type Pool } from '../../src/db/pool.js';
import { seedDemoDatabase } from '../../src/demo/seed-demo.js';
import type { StepContext, StepProgress } from '../../src/pipeline/step-context.js';
import { TaskLog } from '../../src/task-files/task-log.js';
import { FIXTURES_DIR } from './app.js';
import { embeddedTestMode } from './test-database-url.js';

export const HIGHWAY_FIXTURES = path.join(FIXTURES_DIR, 'highway_db');

/** A seeded demo business database pool (silent logger) for step tests. */
export async function seededDemoPool(url: string): Promise<Pool> {
  const pool = createPool(url, { max: embeddedTestMode() ? 1 : 6 }, pino({ level: 'silent' }));
  await seedDemoDatabase(pool, pino({ level: 'silent' }));
  return pool;
}

/** A task directory holding the fixture table list, and a StepContext over it. */
export function stepContext(pool: Pool, database: string, taskId = 'task_20990101_000000'): StepContext & { dir: string; progressLog: StepProgress[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-task-'));
  fs.copyFileSync(path.join(HIGHWAY_FIXTURES, 'table_list.txt'), path.join(dir, 'table_list.txt'));
  const progressLog: StepProgress[] = [];
  return {
    dir,
    progressLog,
    taskId,
    taskDir: dir,
    business: { pool, database },
    businessContext: '高速公路服务区管理系统',
    log: new TaskLog(dir, `TaskDir_${taskId}`),
    progress: (p) => progressLog.push(p),
  };
}
