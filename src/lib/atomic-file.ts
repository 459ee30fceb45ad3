import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** A temp name next to `file`: same file system (so rename is atomic), hidden, and never listed. */
function siblingTemp(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
}

/** Writes `file` atomically (temp + rename); a crash or a concurrent writer never leaves half a file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = siblingTemp(file);
  try {
    await fs.writeFile(tmp, content, 'utf8');
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Copies `source` (possibly on another file system, e.g. the upload temp dir) to `file` atomically. */
export async function copyFileAtomic(source: string, file: string): Promise<void> {
  const tmp = siblingTemp(file);
  try {
    await fs.copyFile(source, tmp);
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
