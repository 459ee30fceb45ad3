import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Append flags that refuse a symlink (ELOOP) instead of following it: a log file replaced by a
 * link out of the data root must not make the server append there.
 */
export const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** NAME_MAX of the usual file systems (ext4, xfs, tmpfs, APFS), in bytes. */
const NAME_MAX_BYTES = 255;
const TEMP_SUFFIX_BYTES = `..${randomUUID()}.tmp`.length;

/**
 * A temp name next to `file`: same file system (so rename is atomic), hidden, and never listed.
 * The original name is cut (on a UTF-8 character boundary) so that a legal 255-byte name never
 * yields an ENAMETOOLONG temp name.
 */
function siblingTemp(file: string): string {
  const base = truncateUtf8(path.basename(file), NAME_MAX_BYTES - TEMP_SUFFIX_BYTES);
  return path.join(path.dirname(file), `.${base}.${randomUUID()}.tmp`);
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
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

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Copies `file` to `backup` unless `backup` already exists; true when this call wrote it. The copy is
 * published with link(2), which never replaces an existing name: two runs racing, or a run after
 * a crash, keep the first backup, and a half-copied one is never visible under the backup's name.
 */
export async function keepFirstBackup(file: string, backup: string): Promise<boolean> {
  const tmp = siblingTemp(backup);
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

/** The text of `file`, or null when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
