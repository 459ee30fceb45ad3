import fs from 'node:fs/promises';
import path from 'node:path';

/** Thrown when another live process holds the embedded data directory. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
    readonly lockFile: string,
  ) {
    super(
      `embedded database directory ${dataDir} is in use by another server (pid ${holderPid}, lock file ${lockFile}). ` +
        'Stop that server, or give this one its own EMBEDDED_DATA_DIR (or a DATABASE_URL). ' +
        `If pid ${holderPid} is not a text2sql server, delete the lock file.`,
    );
    this.name = 'DataDirInUseError';
  }
}

/**
 * Lock files this process holds. A lock carrying our own pid that is not in here was left by an
 * earlier process that had the same pid (a container restarts its server as pid 1 every time):
 * stale, not ours.
 */
const heldByThisProcess = new Set<string>();

export interface DataDirLock {
  readonly file: string;
  release(): Promise<void>;
}

/**
 * PGlite has no postmaster.pid: two processes opening one data directory each run a private
 * in-memory copy and overwrite each other's files on close, so both start "healthy" and writes are
 * lost. An exclusive lock file beside the directory (`<dataDir>.lock`, holding the owner's pid)
 * makes the second process refuse to start. It sits beside, not inside, because PGlite initialises
 * an absent directory itself and the lock must exist before that. A lock whose pid is dead (the
 * server was killed) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = `${path.resolve(dataDir)}.lock`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(file)) {
      heldByThisProcess.add(file);
      return { file, release: () => releaseLock(file) };
    }
    const holder = await readPid(file);
    if (holder === null) continue; // removed between our two calls: retry
    const alive = holder === process.pid ? heldByThisProcess.has(file) : isAlive(holder);
    if (alive) throw new DataDirInUseError(dataDir, holder, file);
    await takeOverStale(file, holder);
  }
  throw new Error(`could not lock the embedded database directory ${dataDir} (lock file ${file} keeps changing)`);
}

async function tryCreate(file: string): Promise<boolean> {
  try {
    // 'wx' = O_CREAT | O_EXCL: exactly one process creates the file.
    await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function readPid(file: string): Promise<number | null> {
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (text === null) return null;
  const pid = Number.parseInt(text.trim(), 10);
  // An empty or garbled file (a crash between create and write) holds nothing: treat as stale (pid 0).
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user; it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the stale file aside with rename (atomic: of two processes taking over at once, one
 * renames it and the other gets ENOENT and retries). If what got moved is no longer the stale
 * lock (a faster process took it over meanwhile), it is put back for its owner.
 */
async function takeOverStale(file: string, stalePid: number): Promise<void> {
  const aside = `${file}.stale-${process.pid}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readPid(aside);
  if (moved !== stalePid && moved !== null && isAlive(moved)) {
    await fs.link(aside, file).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

/** Removes the lock only while it is still this process's. */
async function releaseLock(file: string): Promise<void> {
  if (!heldByThisProcess.delete(file)) return;
  if ((await readPid(file).catch(() => null)) === process.pid) await fs.rm(file, { force: true });
}
