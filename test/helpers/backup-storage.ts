import fs from 'node:fs';
import path from 'node:path';
import type { TestApp } from './app.js';
import { startS3, type TestS3 } from './s3-server.js';

export type StoreKind = 'local' | 's3';
export const STORE_KINDS: readonly StoreKind[] = ['local', 's3'];

/**
 * The files of a backup location (`vector_bak`, `task_x/vector_bak`: keys relative to the data
 * root), read and written where the store keeps them but NOT through the store under test: the
 * app's data root for the local store, s3rver's own directory for S3. So a test can flip a byte,
 * age a set by copying it under an older stamp, or list what exists, the same way on both stores.
 */
export interface SetFiles {
  /** File names directly in the location (none when it does not exist). */
  names(key: string): string[];
  read(key: string, name: string): Buffer;
  /** Creates or replaces a file (on S3: an object, as if it had been uploaded). */
  write(key: string, name: string, bytes: Buffer | string): void;
  /** Every file anywhere in the store (for "nothing was written" checks). */
  all(): string[];
}

export interface BackupStorage {
  kind: StoreKind;
  /** The server environment selecting this store. */
  env: Record<string, string>;
  /** Whether sets without a manifest (the original's legacy sets) are listed: local only (SPEC §7 "Storage"). */
  listsLegacySets: boolean;
  files(app: TestApp): SetFiles;
  close(): Promise<void>;
}

const S3RVER_OBJECT = '._S3rver_object';

/** The store a parameterised backup-set suite runs against: the local data root or a real s3rver. */
export async function startBackupStorage(kind: StoreKind): Promise<BackupStorage> {
  if (kind === 'local') {
    return { kind, env: {}, listsLegacySets: true, files: (app) => localFiles(app.dataRoot), close: async () => undefined };
  }
  const s3 = await startS3();
  const env = s3.env();
  return { kind, env, listsLegacySets: false, files: () => s3Files(s3, env.S3_PREFIX!), close: () => s3.close() };
}

function localFiles(root: string): SetFiles {
  const dirOf = (key: string) => path.join(root, ...key.split('/'));
  return {
    names: (key) => (fs.existsSync(dirOf(key)) ? fs.readdirSync(dirOf(key)).filter((n) => fs.statSync(path.join(dirOf(key), n)).isFile()).sort() : []),
    read: (key, name) => fs.readFileSync(path.join(dirOf(key), name)),
    write: (key, name, bytes) => {
      fs.mkdirSync(dirOf(key), { recursive: true });
      fs.writeFileSync(path.join(dirOf(key), name), bytes);
    },
    all: () => (fs.readdirSync(root, { recursive: true }) as string[]).map(String).sort(),
  };
}

/**
 * s3rver keeps object `<key>` as `<bucket>/<key>._S3rver_object`, beside its `.md5` (the ETag, which
 * it recomputes when absent) and its metadata; the size and date it serves are the file's own.
 */
function s3Files(s3: TestS3, prefix: string): SetFiles {
  const dirOf = (key: string) => path.join(s3.dir, s3.bucket, ...prefix.split('/'), ...key.split('/'));
  const objectOf = (key: string, name: string) => path.join(dirOf(key), `${name}${S3RVER_OBJECT}`);
  return {
    names: (key) =>
      fs.existsSync(dirOf(key))
        ? fs.readdirSync(dirOf(key)).filter((n) => n.endsWith(S3RVER_OBJECT)).map((n) => n.slice(0, -S3RVER_OBJECT.length)).sort()
        : [],
    read: (key, name) => fs.readFileSync(objectOf(key, name)),
    write: (key, name, bytes) => {
      fs.mkdirSync(dirOf(key), { recursive: true });
      fs.writeFileSync(objectOf(key, name), bytes);
      fs.rmSync(`${objectOf(key, name)}.md5`, { force: true });
    },
    all: () => s3.objectKeys(prefix),
  };
}
