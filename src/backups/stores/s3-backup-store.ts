import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3StorageSettings } from '../../config.js';
import { backupStoreError } from '../../error-map.js';
import { cachedProbe } from '../../lib/cached-probe.js';
import { TASK_ID_PATTERN } from '../../lib/data-root.js';
import { BACKUP_DIR_NAME, groupByStamp, manifestFileName, setTimestampOf } from '../sets/set-naming.js';
import {
  assertFileName,
  type BackupLocations,
  type BackupStore,
  type ListedLocation,
  type OpenedStoreFile,
  type OpenUpload,
  type PendingStoreWrite,
  type StoreHealth,
  type StoreLocation,
  type StoredFile,
} from './backup-store.js';
import { TASK_DIR_PATTERN } from './local-backup-store.js';

/** Multipart part size: memory per upload is at most PART_BYTES × QUEUE_SIZE. */
const PART_BYTES = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
/** How long a health probe's answer is reused: /health is polled, a put+delete per poll is waste. */
const HEALTH_CACHE_MS = 10_000;

/**
 * Backup sets on S3-compatible object storage. A location's files are the objects
 * `<S3_PREFIX>/<location key>/<name>`; nothing outside the prefix can be named (locations come from
 * the data root's validation, names are single components). A write streams into a multipart
 * upload (lib-storage), which creates the object only when it completes: an aborted or failed
 * write leaves no object, and its upload is aborted (no parts left billed). The manifest, written
 * last, is the set's commit marker: the catalog lists only sets that have one.
 *
 * Every SDK failure goes through backupStoreError(): unreachable endpoint, refused credentials or a
 * missing bucket are a 503 naming the store, with no credential in the message.
 */
export class S3BackupStore implements BackupStore {
  readonly kind = 's3';
  readonly listsLegacySets = false;
  readonly name: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  /** /health is polled: a put and delete per poll would be waste, so the answer is reused. */
  readonly health = cachedProbe(HEALTH_CACHE_MS, () => this.probe());

  constructor(
    readonly locations: BackupLocations,
    private readonly settings: S3StorageSettings,
  ) {
    this.bucket = settings.bucket;
    this.prefix = settings.prefix;
    this.name = `s3://${this.bucket}/${this.prefix}`;
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
      // Checksums only where S3 requires them: otherwise a streaming PutObject is sent with
      // aws-chunked framing, which some S3-compatible servers store as part of the data.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5000 },
      maxAttempts: 2,
    });
  }

  /**
   * Locations are found from the keys themselves (`<prefix>/<task>/vector_bak/…`), not from
   * delimiter listings (CommonPrefixes), which some S3-compatible servers answer incompletely.
   */
  async listLocations(): Promise<ListedLocation[]> {
    const base = `${this.prefix}/`;
    const taskDirs = new Set<string>();
    for await (const page of this.pages(base)) {
      for (const object of page.Contents ?? []) {
        const [dir, sub] = object.Key!.slice(base.length).split('/');
        if (sub === BACKUP_DIR_NAME && dir !== undefined && isTaskDir(dir)) taskDirs.add(dir);
      }
    }
    return [
      { type: 'global', location: this.locations.global() },
      ...[...taskDirs].sort().reverse().map((name) => ({ type: 'task' as const, taskId: name, location: this.locations.fromKey(`${name}/${BACKUP_DIR_NAME}`) })),
    ];
  }

  async exists(location: StoreLocation): Promise<boolean> {
    // The first page says it (no MaxKeys=1: s3rver answers it with a 500 when more keys exist).
    for await (const page of this.pages(`${this.keyOf(location)}/`)) return (page.Contents?.length ?? 0) > 0;
    return false;
  }

  async list(location: StoreLocation): Promise<StoredFile[]> {
    const base = `${this.keyOf(location)}/`;
    const files: StoredFile[] = [];
    for await (const page of this.pages(base)) {
      for (const object of page.Contents ?? []) {
        const name = object.Key!.slice(base.length);
        // Files directly in the location only (a task's vector_bak/ is not inside the global one, but keys may nest).
        if (name !== '' && !name.includes('/')) files.push({ name, size: object.Size ?? 0, mtime: object.LastModified ?? new Date(0) });
      }
    }
    return files.sort((a, b) => a.name.localeCompare(b.name));
  }

  async stat(location: StoreLocation, name: string): Promise<StoredFile | null> {
    const key = this.fileKey(location, name);
    const head = await this.call(() => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })), true);
    return head && { name, size: head.ContentLength ?? 0, mtime: head.LastModified ?? new Date(0) };
  }

  async openRead(location: StoreLocation, name: string): Promise<OpenedStoreFile | null> {
    const key = this.fileKey(location, name);
    const object = await this.call(() => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })), true);
    if (object === null) return null;
    return { name, size: object.ContentLength ?? 0, mtime: object.LastModified ?? new Date(0), stream: object.Body as Readable };
  }

  async createWrite(location: StoreLocation, name: string): Promise<PendingStoreWrite> {
    const key = this.fileKey(location, name);
    const body = new PassThrough({ highWaterMark: 1024 * 1024 });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body },
      partSize: PART_BYTES,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    // Started now (it reads the body as it is written); a failure reaches the writer by destroying
    // the body, or its pipeline would wait forever on a stream nobody reads any more.
    const done = upload.done().then(
      () => undefined,
      (err: unknown) => {
        const mapped = backupStoreError(err, this.name) ?? err;
        body.destroy(mapped as Error);
        throw mapped;
      },
    );
    done.catch(() => undefined);
    let aborted = false;
    return {
      stream: body,
      commit: async () => {
        if (aborted) throw new Error(`write of ${name} was aborted`);
        await done;
      },
      abort: async () => {
        aborted = true;
        // Once every byte was handed over, failing the body no longer fails the upload (its last
        // parts may still be in flight): then the upload itself is aborted, and lib-storage sends
        // AbortMultipartUpload as soon as those parts return instead of completing the object.
        const allWritten = body.writableFinished;
        // Failing the body (rather than upload.abort(), which settles at once and aborts the
        // multipart upload later, in the background) makes lib-storage send AbortMultipartUpload
        // before `done` settles: once abort() returns, no upload is left pending.
        body.destroy(new Error(`write of ${name} aborted`));
        if (allWritten) await upload.abort();
        await done.catch(() => undefined);
      },
    };
  }

  async delete(location: StoreLocation, names: readonly string[]): Promise<string[]> {
    const deleted: string[] = [];
    for (const name of names) {
      // S3 answers 204 for an absent key too: the name counts as deleted only when it was there.
      if ((await this.stat(location, name)) === null) continue;
      await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fileKey(location, name) })));
      deleted.push(name);
    }
    return deleted;
  }

  async leftovers(location: StoreLocation): Promise<Map<string, string[]>> {
    const names = new Set((await this.list(location)).map((f) => f.name));
    return groupByStamp(names, (name) => {
      const stamp = setTimestampOf(name);
      return stamp !== null && !names.has(manifestFileName(stamp)) ? stamp : null;
    });
  }

  async openUploads(): Promise<OpenUpload[]> {
    const base = `${this.prefix}/`;
    const uploads: OpenUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: base, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
      );
      for (const { Key: key, UploadId: uploadId } of page.Uploads ?? []) {
        const relative = key?.slice(base.length) ?? '';
        const dirKey = relative.slice(0, relative.lastIndexOf('/'));
        const name = relative.slice(dirKey.length + 1);
        const stamp = setTimestampOf(name);
        if (!key?.startsWith(base) || !isLocationKey(dirKey) || stamp === null || !uploadId) continue;
        uploads.push({
          location: this.locations.fromKey(dirKey),
          name,
          stamp,
          abort: async () => {
            await this.call(() => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })));
          },
        });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return uploads;
  }

  /** Writes and deletes a probe object under the prefix: the bucket is reachable and writable. */
  private async probe(): Promise<StoreHealth> {
    const base = { kind: 's3' as const, bucket: this.bucket, prefix: this.prefix, endpoint: this.settings.endpoint ?? null };
    const key = `${this.prefix}/.health/${randomUUID()}`;
    try {
      await this.call(() => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: 'ok' })));
      await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
      return { ok: true, ...base };
    } catch (err) {
      return { ok: false, ...base, error: (err as Error).message };
    }
  }

  private keyOf(location: StoreLocation): string {
    return `${this.prefix}/${location.key}`;
  }

  private fileKey(location: StoreLocation, name: string): string {
    return `${this.keyOf(location)}/${assertFileName(name)}`;
  }

  private async *pages(prefix: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        ),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Runs one SDK call with the store's error map; `missingIsNull`: an absent key answers null. */
  private async call<T>(run: () => Promise<T>): Promise<T>;
  private async call<T>(run: () => Promise<T>, missingIsNull: true): Promise<T | null>;
  private async call<T>(run: () => Promise<T>, missingIsNull = false): Promise<T | null> {
    try {
      return await run();
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (missingIsNull && (e.name === 'NoSuchKey' || e.name === 'NotFound' || (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket'))) {
        return null;
      }
      throw backupStoreError(err, this.name) ?? err;
    }
  }
}

const isTaskDir = (dir: string) => TASK_DIR_PATTERN.test(dir) && TASK_ID_PATTERN.test(dir);

/** A backup location's key: the global `vector_bak` or a task's `<task>/vector_bak`. */
function isLocationKey(key: string): boolean {
  const [dir, sub, ...rest] = key.split('/');
  return key === BACKUP_DIR_NAME || (sub === BACKUP_DIR_NAME && rest.length === 0 && dir !== undefined && isTaskDir(dir));
}
