import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { ERROR_TYPES, NotFoundError } from '../../errors.js';
import type { BackupStore, OpenedStoreFile } from '../stores/backup-store.js';
import { backupFileNames, manifestFileName, setTimestampOf, VECTOR_TABLES } from './set-naming.js';

/** One file of a set: its listed size, and its read stream (opened before the reply starts on the local store). */
interface SetEntry {
  name: string;
  size: number;
  mtime: Date;
  open(): Promise<OpenedStoreFile>;
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
 * streamed from the store with its size in the header, so nothing is buffered and a file that
 * changes length while it is read fails the entry (tar-stream checks the size) instead of
 * producing an archive whose headers lie. Entries are plain file names, as upload expects.
 * Local files are all opened before the reply starts (a set deleted mid-download still streams
 * whole); S3 objects are opened one after another (an idle GET would wait on the previous file).
 */
export class BackupSetDownload {
  constructor(private readonly store: BackupStore) {}

  /** Opens the set; 404 when the location or a complete set (both tables; on S3 its manifest too) is absent. */
  async open(backupPath: string, timestamp: string): Promise<OpenedSet> {
    const location = this.store.locations.fromBackupPath(backupPath);
    if (!(await this.store.exists(location))) throw new NotFoundError(`备份目录不存在: ${backupPath}`);
    const files = (await this.store.list(location)).filter((f) => setTimestampOf(f.name) === timestamp);
    const names = files.map((f) => f.name);
    const complete =
      VECTOR_TABLES.every((table) => backupFileNames(table, timestamp).some((n) => names.includes(n))) &&
      (this.store.listsLegacySets || names.includes(manifestFileName(timestamp)));
    if (!complete) throw new NotFoundError(`备份集不存在: ${backupPath} ${timestamp}`, ERROR_TYPES.FILE_NOT_FOUND);
    const opened: OpenedStoreFile[] = [];
    const close = async () => {
      for (const file of opened) file.stream.destroy();
    };
    const openOne = async (name: string) => {
      const file = await this.store.openRead(location, name);
      if (file === null) throw new NotFoundError(`备份文件不存在: ${name}`, ERROR_TYPES.FILE_NOT_FOUND);
      opened.push(file);
      return file;
    };
    const entries: SetEntry[] = [];
    try {
      for (const file of files) {
        if (this.store.kind === 'local') {
          const handle = await openOne(file.name);
          entries.push({ name: file.name, size: handle.size, mtime: handle.mtime, open: async () => handle });
        } else {
          entries.push({ ...file, open: () => openOne(file.name) });
        }
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

async function writeTar(entries: readonly SetEntry[], out: Writable): Promise<void> {
  const pack = tar.pack();
  const produce = async () => {
    try {
      for (const entry of entries) {
        const sink = pack.entry({ name: entry.name, size: entry.size, mtime: entry.mtime, mode: 0o644, type: 'file' });
        await pipeline((await entry.open()).stream, sink);
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
