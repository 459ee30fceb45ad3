import fsp from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseRegistry } from '../../db/database-registry.js';
import { query, type PoolClient } from '../../db/pool.js';
import { tryLockSetStamp, unlockSetStamp } from '../../db/sql/backup-manifest.sql.js';
import { fileTimestamp } from '../../lib/time.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { LocalBackupStore } from '../stores/local-backup-store.js';
import { isFileOfSet, setTimestampOf, stampMarkerName } from './set-naming.js';

export interface StampReservation {
  stamp: string;
  release: () => Promise<void>;
}

/** Releases a claim taken by claimSetStamp(). */
export type ReleaseClaim = () => Promise<void>;

/** Stamps this process holds, by `<location key>/<stamp>`: checked before the shared lock is asked. */
const heldHere = new Set<string>();

/**
 * Claims `<location>/<stamp>` for whoever writes or removes that set's files: a backup, an upload
 * being published, or the start-up sweep of what a killed writer left (leftover-sweep.ts). Null
 * when someone holds it. A session advisory lock in the app database, which every server sharing the
 * store shares, held until released; a crashed server's lock goes with its connection, so a claim
 * that is free names a stamp nobody alive is writing. An embedded app database belongs to one
 * process, where the in-process set is the whole truth.
 */
export async function claimSetStamp(databases: DatabaseRegistry, location: StoreLocation, stamp: string): Promise<ReleaseClaim | null> {
  const name = `${location.key}/${stamp}`;
  if (heldHere.has(name)) return null;
  heldHere.add(name);
  let client: PoolClient | null = null;
  if (!databases.isEmbedded(databases.app)) {
    client = await lockShared(databases, name).catch((err: unknown) => {
      heldHere.delete(name);
      throw err;
    });
    if (client === null) {
      heldHere.delete(name);
      return null;
    }
  }
  return async () => {
    heldHere.delete(name);
    if (client === null) return;
    await query(client, unlockSetStamp(name)).catch(() => undefined);
    client.release();
  };
}

/**
 * Holds a stamp no file of the location uses yet: the claim, then (local) today's exclusively
 * created marker file in the directory, which also keeps servers of the previous version out; on
 * object storage, which has no exclusive create that every S3-compatible server honours (a
 * conditional PutObject with `If-None-Match: *` is refused by MinIO before 2024 and ignored by
 * s3rver), the claim alone. Null when the stamp is claimed or has files.
 */
export async function holdSetStamp(store: BackupStore, location: StoreLocation, stamp: string, databases: DatabaseRegistry): Promise<StampReservation | null> {
  const unclaim = await claimSetStamp(databases, location, stamp);
  if (unclaim === null) return null;
  const taken = (names: readonly string[]) => names.some((n) => isFileOfSet(n, stamp) || setTimestampOf(n) === stamp);
  try {
    if (store instanceof LocalBackupStore) {
      const marker = await createMarker(await store.ensureDir(location), stamp, taken);
      if (marker !== null) {
        return {
          stamp,
          release: async () => {
            await fsp.rm(marker, { force: true });
            await unclaim();
          },
        };
      }
    } else if (!taken((await store.list(location)).map((f) => f.name))) {
      return { stamp, release: unclaim };
    }
  } catch (err) {
    await unclaim();
    throw err;
  }
  await unclaim();
  return null;
}

/**
 * Reserves a stamp no set of the location uses yet, so two backups in the same second (other
 * servers included) never write the same files: this second's stamp, else the next second's.
 */
export async function reserveSetStamp(store: BackupStore, location: StoreLocation, databases: DatabaseRegistry): Promise<StampReservation> {
  for (;;) {
    const held = await holdSetStamp(store, location, fileTimestamp(), databases);
    if (held !== null) return held;
    await nextSecond();
  }
}

/** A client holding the lock of `name` (from the app database's control pool), or null when another session holds it. */
async function lockShared(databases: DatabaseRegistry, name: string): Promise<PoolClient | null> {
  const client = await databases.appControl.connect();
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

/** The marker file of `stamp` in `dir`, exclusively created; null when it exists or a file of the stamp does. */
async function createMarker(dir: string, stamp: string, taken: (names: readonly string[]) => boolean): Promise<string | null> {
  if (taken(await fsp.readdir(dir))) return null;
  const marker = path.join(dir, stampMarkerName(stamp));
  const handle = await fsp.open(marker, 'wx').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return null;
    throw err;
  });
  if (handle === null) return null;
  await handle.close();
  return marker;
}

const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
