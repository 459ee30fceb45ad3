import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { ERROR_TYPES, NotFoundError } from '../../errors.js';
import { isDirectory, type DataRoot } from '../../lib/data-root.js';
import { backupFileNames, setTimestampOf, VECTOR_TABLES } from './set-naming.js';

/** One file of a set, opened before the reply starts: a set deleted mid-download still streams whole. */
interface OpenedEntry {
  name: string;
  size: number;
  mtime: Date;
  handle: fsp.FileHandle;
}

export interface OpenedSet {
  /** `vector_backup_<ts>.tar`: the attachment's name. */
  fileName: string;
  files: readonly { name: string; size: number }[];
  /** Streams the tar into `out`; rejects (and destroys `out`) on any read or write failure. */
  writeTar(out: Writable): Promise<void>;
  close(): Promise<void>;
}

/**
 * A backup set as one tar stream (SPEC §7 "Download"): the data files and the manifest, each entry
 * streamed from its open file with the size taken from fstat, so nothing is buffered and a file
 * that changes length while it is read fails the entry (tar-stream checks the size) instead of
 * producing an archive whose headers lie. Entries are plain file names, as upload expects.
 */
export class BackupSetDownload {
  constructor(private readonly dataRoot: DataRoot) {}

  /** Opens every file of the set; 404 when the directory or a complete set (both tables) is absent. */
  async open(backupPath: string, timestamp: string): Promise<OpenedSet> {
    const resolved = this.dataRoot.resolveUserPath(backupPath, 'backup_path');
    const dir = await this.dataRoot.realInside(resolved, 'backup_path');
    if (dir === null || !isDirectory(dir)) throw new NotFoundError(`备份目录不存在: ${backupPath}`);
    // Dirent types come from lstat: a symlink placed in vector_bak/ is never followed into the archive.
    const names = (await fsp.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && setTimestampOf(e.name) === timestamp)
      .map((e) => e.name)
      .sort();
    const complete = VECTOR_TABLES.every((table) => backupFileNames(table, timestamp).some((n) => names.includes(n)));
    if (!complete) throw new NotFoundError(`备份集不存在: ${backupPath} ${timestamp}`, ERROR_TYPES.FILE_NOT_FOUND);
    const entries: OpenedEntry[] = [];
    const close = async () => {
      await Promise.all(entries.map((e) => e.handle.close().catch(() => undefined)));
    };
    try {
      for (const name of names) {
        const handle = await fsp.open(path.join(dir, name), 'r');
        const stat = await handle.stat().catch(async (err: unknown) => {
          await handle.close();
          throw err;
        });
        entries.push({ name, size: stat.size, mtime: stat.mtime, handle });
      }
    } catch (err) {
      await close();
      throw err;
    }
    return {
      fileName: `vector_backup_${timestamp}.tar`,
      files: entries.map(({ name, size }) => ({ name, size })),
      writeTar: (out) => writeTar(entries, out),
      close,
    };
  }
}

async function writeTar(entries: readonly OpenedEntry[], out: Writable): Promise<void> {
  const pack = tar.pack();
  const produce = async () => {
    try {
      for (const entry of entries) {
        const sink = pack.entry({ name: entry.name, size: entry.size, mtime: entry.mtime, mode: 0o644, type: 'file' });
        await pipeline(entry.handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 256 * 1024 }), sink);
      }
      pack.finalize();
    } catch (err) {
      // The reader side must see the failure too, or `out` would get a well-formed but short archive.
      pack.destroy(err as Error);
      throw err;
    }
  };
  // Both sides settle before the caller closes the files: a reader still running on a closed handle
  // would fail with EBADF long after the reply has ended.
  const [sent, produced] = await Promise.allSettled([pipeline(pack, out), produce()]);
  if (sent.status === 'rejected') throw sent.reason;
  if (produced.status === 'rejected') throw produced.reason;
}
