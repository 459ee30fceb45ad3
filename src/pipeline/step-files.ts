import fs from 'node:fs/promises';
import path from 'node:path';

/** Writes a file atomically (temp + rename), so a crash never leaves a half-written artifact. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, content, 'utf8');
  await fs.rename(tmp, file);
}

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
