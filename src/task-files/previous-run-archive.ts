import fs from 'node:fs/promises';
import path from 'node:path';
import { fileTimestamp, localIsoTimestamp } from '../lib/time.js';
import { PREVIOUS_RUN_INFO_NAME, previousRunDirName, TABLE_LIST_NAME, TASK_LOG_NAME } from './task-dir.js';

/**
 * Before a complete run, earlier artifacts move to `file_bak_<ts>[_N]/` with a `backup_info.json`
 * (reference §4.3), so the run starts clean and nothing of the previous one is lost. The table
 * list and the log stay; directories (vector_bak/, older file_bak_*) are left in place.
 */
export async function archivePreviousRun(taskDir: string): Promise<string | null> {
  const entries = await fs.readdir(taskDir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name !== TABLE_LIST_NAME && e.name !== TASK_LOG_NAME).map((e) => e.name);
  if (files.length === 0) return null;
  const stamp = fileTimestamp();
  let name = previousRunDirName(stamp);
  for (let n = 1; entries.some((e) => e.name === name); n += 1) name = previousRunDirName(stamp, n);
  const dir = path.join(taskDir, name);
  await fs.mkdir(dir);
  for (const file of files) await fs.rename(path.join(taskDir, file), path.join(dir, file));
  await fs.writeFile(
    path.join(dir, PREVIOUS_RUN_INFO_NAME),
    `${JSON.stringify({ backup_time: localIsoTimestamp(), backup_directory: name, moved_files: files, failed_files: [] }, null, 2)}\n`,
  );
  return name;
}
