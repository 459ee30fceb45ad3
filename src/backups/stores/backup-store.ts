import { PassThrough, pipeline, type Duplex, type Readable, type Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ERROR_TYPES, UnprocessableError, ValidationError } from '../../errors.js';
import type { DataRoot } from '../../lib/data-root.js';
import { BACKUP_DIR_NAME } from '../sets/set-naming.js';

/**
 * Where backup sets live (SPEC §7 "Storage"). A location is what clients call a `backup_path`
 * (`./data_pipeline/training_data/vector_bak`, `…/<task_id>/vector_bak`); every store names it by
 * its path relative to the data root (`key`), which the local store resolves under the root and the
 * S3 store under `S3_PREFIX`. Locations are only made by `BackupLocations`, from validated input.
 */
export interface StoreLocation {
  /** '/'-separated path relative to the data root: `vector_bak`, `task_1/vector_bak`. */
  readonly key: string;
  /** The `./data_pipeline/training_data/…` form clients send and the list returns. */
  readonly relativePath: string;
}

export interface ListedLocation {
  type: 'global' | 'task';
  taskId?: string;
  location: StoreLocation;
}

export interface StoredFile {
  name: string;
  size: number;
  mtime: Date;
}

export interface OpenedStoreFile extends StoredFile {
  stream: Readable;
}

/**
 * A file being written. Write the bytes into `stream` (e.g. with pipeline()), then `commit()`: the
 * file appears under its name only then, whole. `abort()` (also after a failed write) leaves nothing:
 * no temp file, no pending multipart upload. Committing never replaces a file of the same name on
 * the local store (409-worthy `EEXIST`); S3 has no such check, so callers look before they write.
 */
export interface PendingStoreWrite {
  readonly stream: Writable;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A multipart upload left open under the store's prefix, of a set's file. */
export interface OpenUpload {
  location: StoreLocation;
  name: string;
  /** The set the file belongs to. */
  stamp: string;
  abort(): Promise<void>;
}

export interface StoreHealth {
  ok: boolean;
  kind: 'local' | 's3';
  [key: string]: unknown;
}

export interface BackupStore {
  readonly kind: 'local' | 's3';
  /** How messages and health name the store (`s3://bucket/prefix`, a data root path); never credentials. */
  readonly name: string;
  /**
   * Whether sets without a manifest are listed (the original's legacy sets, which exist only on a
   * local data root). On object storage the manifest, written last, is the only commit marker.
   */
  readonly listsLegacySets: boolean;
  readonly locations: BackupLocations;
  /** The global location and every task location holding files, global first, tasks newest name first. */
  listLocations(): Promise<ListedLocation[]>;
  /** Whether the location exists (local: a directory; S3: any object under it). */
  exists(location: StoreLocation): Promise<boolean>;
  /** Committed files directly in the location, by name; temp files and uploads in progress never appear. */
  list(location: StoreLocation): Promise<StoredFile[]>;
  stat(location: StoreLocation, name: string): Promise<StoredFile | null>;
  /** Opens a file for one streaming read; null when absent. */
  openRead(location: StoreLocation, name: string): Promise<OpenedStoreFile | null>;
  createWrite(location: StoreLocation, name: string): Promise<PendingStoreWrite>;
  /** Deletes the named files in the order given; the names that existed and are gone now. */
  delete(location: StoreLocation, names: readonly string[]): Promise<string[]>;
  /**
   * What writers killed mid-write (kill -9, a power loss) may have left in a location, by stamp:
   * local, reservation markers and temp files (data files without a manifest are legacy sets there);
   * S3, the data objects of a stamp without a manifest (the commit marker every set on S3 has).
   * Deleted only under the stamp's claim, which a live writer holds (leftover-sweep.ts).
   */
  leftovers(location: StoreLocation): Promise<Map<string, string[]>>;
  /**
   * Multipart uploads of set files still open under the prefix ([] locally). Some S3-compatible
   * servers have no ListMultipartUploads or AbortMultipartUpload (s3rver): those calls then fail.
   */
  openUploads(): Promise<OpenUpload[]>;
  /** Reachable and writable (a probe written and deleted; S3 caches the answer briefly). */
  health(): Promise<StoreHealth>;
}

/** Manifests are small; anything larger is not one (and is not read into memory whole). */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** A small file (a manifest) as text; null when absent. */
export async function readStoreText(store: BackupStore, location: StoreLocation, name: string): Promise<string | null> {
  const file = await store.openRead(location, name);
  if (file === null) return null;
  if (file.size > MAX_TEXT_BYTES) {
    file.stream.destroy();
    throw new UnprocessableError(`${name} 过大 (${file.size} 字节，上限 ${MAX_TEXT_BYTES})，不是备份清单`, ERROR_TYPES.VECTOR_RESTORE_FAILED);
  }
  return (await buffer(file.stream)).toString('utf8');
}

/**
 * A file of a store as a stream returned at once (COPY's `open()` and the CSV readers are
 * synchronous); the store is opened behind it. An absent file fails the stream with ENOENT; a
 * stream destroyed before the store answered destroys the store's stream too (pipeline()).
 * `head` is the stream returned, the store's file piped into it once open: a caller's first stage
 * (a checksum tap) instead of one more pass-through on a path every byte of a restore takes.
 */
export function openStoreStream<T extends Duplex = PassThrough>(store: BackupStore, location: StoreLocation, name: string, head?: T): T {
  const out = head ?? (new PassThrough({ highWaterMark: 256 * 1024 }) as Duplex as T);
  store.openRead(location, name).then(
    (file) => {
      if (file === null) out.destroy(Object.assign(new Error(`ENOENT: ${name} no longer exists in ${location.relativePath}`), { code: 'ENOENT' }));
      else pipeline(file.stream, out, () => undefined);
    },
    (err: Error) => out.destroy(err),
  );
  return out;
}

/**
 * Turns request input into locations, with the data root's own validation for every store: `..`
 * (also percent-encoded), absolute paths outside the root, NUL, symlinks out → 400 naming the
 * parameter. So a `backup_path` names the same place on both stores, and nothing outside the root
 * (locally) or outside `S3_PREFIX` (on S3) can be named.
 */
export class BackupLocations {
  constructor(
    readonly dataRoot: DataRoot,
    /** Whether the app database has a task of this id; without one, only task directories count. */
    private readonly taskRowExists: (taskId: string) => Promise<boolean> = async () => false,
  ) {}

  fromBackupPath(backupPath: string, paramName = 'backup_path'): StoreLocation {
    const resolved = this.dataRoot.resolveUserPath(backupPath, paramName);
    const key = this.dataRoot.keyOf(resolved);
    // The root itself holds task directories, not sets; a key is never empty.
    if (key === '') {
      throw new ValidationError(`参数 ${paramName} 无效: 路径必须是数据目录之内的备份目录`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: [paramName] });
    }
    return this.fromKey(key);
  }

  global(): StoreLocation {
    return this.fromKey(BACKUP_DIR_NAME);
  }

  task(taskId: string, paramName = 'task_id'): StoreLocation {
    return this.fromKey(`${this.dataRoot.assertTaskId(taskId, paramName)}/${BACKUP_DIR_NAME}`);
  }

  /**
   * The location of a known task, or null: one whose directory exists on the data root (a CLI
   * `manual_…` run has no row) or that has a row in the app database (created by a server with
   * another data root). The same rule for every store: what a store holds never decides, or S3,
   * which has no directories, would take any valid id and answer 200 where the local store says 404.
   */
  async taskLocation(taskId: string, paramName = 'task_id'): Promise<StoreLocation | null> {
    const location = this.task(taskId, paramName);
    if ((await this.dataRoot.realTaskDir(taskId, paramName)) !== null) return location;
    return (await this.taskRowExists(taskId)) ? location : null;
  }

  /** `key` must come from validated input or a store listing (names matched against set patterns). */
  fromKey(key: string): StoreLocation {
    return { key, relativePath: this.dataRoot.relativeToCwd(this.dataRoot.absoluteOf(key)) };
  }
}

/** File names inside a location are single components chosen by the code (set naming), never paths. */
export function assertFileName(name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) throw new Error(`not a file name: ${JSON.stringify(name)}`);
  return name;
}
