import { formatSize } from '../lib/format-size.js';
import { localIsoTimestamp } from '../lib/time.js';
import type { StoredFile } from '../backups/stores/backup-store.js';
import type { DiskFile } from './task-dir-reader.js';
import { downloadUrl, fileTypeOf, type DescribeFile } from './file-kinds.js';

/** One entry of `GET …/files`: the original's fields plus the documented ones (SPEC §4). */
export type TaskFileItem = {
  file_name: string;
  file_type: string;
  file_size: number;
  file_size_formatted: string;
  file_size_human: string;
  created_at: string;
  modified_at: string;
  is_readable: boolean;
  is_primary: boolean;
  description: string;
  download_url: string;
};

export type DirectoryTotals = {
  exists: boolean;
  directory_path: string;
  total_files: number;
  total_size: number;
  total_size_formatted: string;
  total_size_human: string;
};

/** What a list item needs of a file: a disk file's stat, or an object's size and single date. */
type ListedFile = Pick<DiskFile, 'name' | 'readable'> & { stat: Pick<DiskFile['stat'], 'size' | 'mtime' | 'birthtimeMs' | 'birthtime' | 'ctime'> };

/** Files of a backup store (S3 objects) as list items' input: an object has one date, its last write. */
export function storedFiles(files: readonly StoredFile[]): ListedFile[] {
  return files.map((f) => ({ name: f.name, readable: true, stat: { size: f.size, mtime: f.mtime, birthtimeMs: 0, birthtime: f.mtime, ctime: f.mtime } }));
}

/** List items, in the order given (the caller sorts); `is_primary` is set by the caller. */
export function toItems(taskId: string, files: ListedFile[], subdir: string | null, describeFile: DescribeFile): TaskFileItem[] {
  return files.map((f) => ({
    file_name: f.name,
    file_type: fileTypeOf(f.name),
    file_size: f.stat.size,
    file_size_formatted: formatSize(f.stat.size),
    file_size_human: formatSize(f.stat.size),
    created_at: localIsoTimestamp(createdAt(f.stat)),
    modified_at: localIsoTimestamp(f.stat.mtime),
    is_readable: f.readable,
    is_primary: false,
    description: describeFile(f.name),
    download_url: downloadUrl(taskId, f.name, subdir),
  }));
}

export function totals(exists: boolean, directoryPath: string, files: TaskFileItem[]): DirectoryTotals {
  const size = files.reduce((sum, f) => sum + f.file_size, 0);
  return {
    exists,
    directory_path: directoryPath,
    total_files: files.length,
    total_size: size,
    total_size_formatted: formatSize(size),
    total_size_human: formatSize(size),
  };
}

/** Birth time where the file system records it, else the inode change time (the original's st_ctime). */
export function createdAt(stat: { birthtimeMs: number; birthtime: Date; ctime: Date }): Date {
  return stat.birthtimeMs > 0 ? stat.birthtime : stat.ctime;
}
