import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-file.js';

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export async function readTextIfExists(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function stepResultFile(taskDir: string, step: string): string {
  return path.join(taskDir, `${step}_result.json`);
}

export const TABLE_LIST_NAME = 'table_list.txt';

/**
 * Copies `file` to `backup` unless `backup` already exists; true when this call wrote it. The copy is
 * published with link(2), which never replaces an existing name: two runs racing, or a run after
 * a crash, keep the first backup, and a half-copied one is never visible under the backup's name.
 */
export async function keepFirstBackup(file: string, backup: string): Promise<boolean> {
  const tmp = path.join(path.dirname(backup), `.${path.basename(backup)}.${randomUUID()}.tmp`);
  try {
    await fs.copyFile(file, tmp);
    await fs.link(tmp, backup);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
