import { z } from 'zod';
import { httpUrl } from './env-fields.js';

/**
 * Where backup sets live (SPEC §7 "Storage"): the local data root (default) or S3-compatible object
 * storage (AWS S3, MinIO, Cloudflare R2, Alibaba OSS).
 */
export const storageEnv = {
  /** `local` (the data root) or `s3`. */
  BACKUP_STORAGE: z.enum(['local', 's3']).default('local'),
  /** S3 endpoint URL; unset: AWS S3 of S3_REGION. MinIO e.g. `http://127.0.0.1:9000`. */
  S3_ENDPOINT: httpUrl().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** Bucket of the backup sets; required with BACKUP_STORAGE=s3. */
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)')
    .optional(),
  /** Key prefix under which every set is kept (`<prefix>/vector_bak/…`, `<prefix>/<task_id>/vector_bak/…`). */
  S3_PREFIX: z
    .string()
    .transform((value) => value.replace(/^\/+|\/+$/g, ''))
    .refine((value) => value.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), {
      message: 'must be key segments separated by "/" (no empty, "." or ".." segments)',
    })
    .default('text2sql-backups'),
  /** Credentials; unset: the SDK's default chain (environment, instance role). Never logged. */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** `true` for MinIO and most self-hosted servers (`http://host/bucket/key` instead of `http://bucket.host/key`). */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
};

export interface S3StorageSettings {
  readonly kind: 's3';
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly forcePathStyle: boolean;
  /** Kept out of logs by the logger's redaction (`*.secretAccessKey`) and never put in a reply. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

export type BackupStorageSettings = { readonly kind: 'local' } | S3StorageSettings;

type StorageEnv = z.infer<z.ZodObject<typeof storageEnv>>;

/** The store settings, or the list of problems (variable: message) that stop start-up. */
export function storageSettings(e: StorageEnv): BackupStorageSettings | string[] {
  if (e.BACKUP_STORAGE === 'local') return { kind: 'local' };
  const problems: string[] = [];
  if (!e.S3_BUCKET) problems.push('S3_BUCKET: is required when BACKUP_STORAGE=s3');
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    problems.push('S3_SECRET_ACCESS_KEY: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together or not at all');
  }
  if (problems.length > 0) return problems;
  return Object.freeze({
    kind: 's3',
    endpoint: e.S3_ENDPOINT,
    region: e.S3_REGION,
    bucket: e.S3_BUCKET!,
    prefix: e.S3_PREFIX,
    forcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
    credentials:
      e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
        ? Object.freeze({ accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY })
        : undefined,
  });
}
