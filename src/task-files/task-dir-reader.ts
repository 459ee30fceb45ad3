import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DataRoot } from '../lib/data-root.js';
import { isInside } from '../lib/path-inside.js';
import { backupNameOf } from './task-dir.js';

/** What a name inside a fenced directory points at, after following symlinks. */
export type ResolvedEntry =
  | { kind: 'missing' }
  /** A symlink whose target lies outside the fence: treated as an attack, never followed. */
  | { kind: 'outside' }
  | { kind: 'not-file' }
  | { kind: 'file'; path: string; stat: Stats };

const isMissingError = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

export async function resolveInside(fence: string, candidate: string): Promise<ResolvedEntry> {
  let real: string;
  try {
    real = await fs.realpath(candidate);
  } catch (err) {
    // A dangling symlink also lands here: there is nothing to read behind it.
    if (isMissingError(err)) return { kind: 'missing' };
    throw err;
  }
  if (!isInside(fence, real)) return { kind: 'outside' };
  const stat = await fs.stat(real);
  return stat.isFile() ? { kind: 'file', path: real, stat } : { kind: 'not-file' };
}

/** The real path of a directory when it exists and stays inside `fence`; null otherwise. */
export async function realDirInside(fence: string, dir: string): Promise<string | null> {
  try {
    const real = await fs.realpath(dir);
    if (!isInside(fence, real)) return null;
    return (await fs.stat(real)).isDirectory() ? real : null;
  } catch (err) {
    if (isMissingError(err)) return null;
    throw err;
  }
}

export interface DiskFile {
  name: string;
  path: string;
  stat: Stats;
  readable: boolean;
}

/**
 * Regular files directly in `dir` (a real path inside `fence`). Symlinks are listed only when they
 * resolve to a regular file inside the fence. `*.tmp` files are atomic writes still in flight.
 */
export async function regularFilesIn(dir: string, fence: string): Promise<DiskFile[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    if (isMissingError(err)) return [];
    throw err;
  });
  const files = await Promise.all(
    entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.endsWith('.tmp'))
      .map(async (e): Promise<DiskFile | null> => {
        const resolved = await resolveInside(fence, path.join(dir, e.name));
        if (resolved.kind !== 'file') return null;
        const readable = await fs.access(resolved.path, fs.constants.R_OK).then(() => true, () => false);
        return { name: e.name, path: resolved.path, stat: resolved.stat, readable };
      }),
  );
  return files
    .filter((f): f is DiskFile => f !== null)
    .sort((a, b) => b.stat.mtimeMs - a.stat.mtimeMs || a.name.localeCompare(b.name));
}

/** Names of the sub-directories of `dir` matching `pattern` (not symlinks), newest name first. */
export async function subdirectoriesIn(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && pattern.test(e.name))
    .map((e) => e.name)
    .sort()
    .reverse();
}

/**
 * Copies `target` to the first free `<name>_bak<N>` (N from 1 to `maxVersion`); COPYFILE_EXCL makes
 * concurrent uploads pick different N. Null when every number is taken.
 */
export async function backupCopy(target: string, maxVersion: number): Promise<{ name: string; version: number } | null> {
  const name = path.basename(target);
  for (let version = 1; version <= maxVersion; version += 1) {
    const backupName = backupNameOf(name, version);
    try {
      await fs.copyFile(target, path.join(path.dirname(target), backupName), fs.constants.COPYFILE_EXCL);
      return { name: backupName, version };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return null;
}

/** The task dir's real path when it exists inside the data root; null otherwise. */
export function realTaskDir(dataRoot: DataRoot, taskId: string): Promise<string | null> {
  return realDirInside(dataRoot.dir, dataRoot.taskDir(taskId));
}
