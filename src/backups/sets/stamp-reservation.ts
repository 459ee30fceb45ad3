import fsp from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseRegistry } from '../../db/database-registry.js';
import { query, type PoolClient } from '../../db/pool.js';
import { tryLockSetStamp, unlockSetStamp } from '../../db/sql/backup-manifest.sql.js';
import { fileTimestamp } from '../../lib/time.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { LocalBackupStore } from '../stores/local-backup-store.js';
import { isFileOfSet, setTimestampOf } from './set-naming.js';

export interface StampReservation {
  stamp: string;
  release: () => Promise<void>;
}

/** Stamps this process holds, by `<location key>/<stamp>`: checked before the shared lock is asked. */
const heldHere = new Set<string>();

/**
 * Reserves a stamp no set of the location uses yet, so two backups in the same second (other
 * servers included) never write the same files. Local: today's exclusively created marker file in
 * the directory. Object storage has no exclusive create that every S3-compatible server honours
 * (a conditional PutObject with `If-None-Match: *` is refused by MinIO before 2024 and ignored by
 * s3rver), so the stamp is locked in the app database, which every server sharing the store shares:
 * a session advisory lock on location + stamp, held until the backup ends. An embedded app database
 * belongs to one process, where the in-process set is the whole truth.
 */
export async function reserveSetStamp(store: BackupStore, location: StoreLocation, databases: DatabaseRegistry): Promise<StampReservation> {
  if (store instanceof LocalBackupStore) return reserveLocalStamp(await store.ensureDir(location));
  const shared = !databases.isEmbedded(databases.app);
  for (;;) {
    const stamp = fileTimestamp();
    const name = `${location.key}/${stamp}`;
    if (!heldHere.has(name)) {
      heldHere.add(name);
      const client = shared ? await lockShared(databases, name) : null;
      if (!shared || client !== null) {
        const release = async () => {
          heldHere.delete(name);
          if (client === null) return;
          await query(client, unlockSetStamp(name)).catch(() => undefined);
          client.release();
        };
        const taken = await store.list(location).then(
          (files) => files.some((f) => isFileOfSet(f.name, stamp) || setTimestampOf(f.name) === stamp),
          async (err: unknown) => {
            await release();
            throw err;
          },
        );
        if (!taken) return { stamp, release };
        await release();
      } else {
        heldHere.delete(name);
      }
    }
    await nextSecond();
  }
}

/** A client holding the lock of `name`, or null when another session holds it. */
async function lockShared(databases: DatabaseRegistry, name: string): Promise<PoolClient | null> {
  const client = await databases.app.connect();
  try {
    const [row] = await query<{ locked: boolean }>(client, tryLockSetStamp(name));
    if (row?.locked) return client;
  } catch (err) {
    client.release();
    throw err;
  }
  client.release();
  return null;
}

/**
 * Local: a stamp no file in `dir` uses yet, with an exclusively created marker file (other server
 * processes sharing the data root included).
 */
async function reserveLocalStamp(dir: string): Promise<StampReservation> {
  for (;;) {
    const stamp = fileTimestamp();
    const names = await fsp.readdir(dir);
    if (!names.some((n) => isFileOfSet(n, stamp))) {
      const marker = path.join(dir, `.backup_${stamp}.lock`);
      const handle = await fsp.open(marker, 'wx').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') return null;
        throw err;
      });
      if (handle) {
        await handle.close();
        return { stamp, release: () => fsp.rm(marker, { force: true }) };
      }
    }
    await nextSecond();
  }
}

const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
