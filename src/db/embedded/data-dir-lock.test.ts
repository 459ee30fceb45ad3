import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';

describe('lockDataDir', () => {
  let dir: string;
  let dataDir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-lock-'));
    dataDir = path.join(dir, 'data/pglite');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates <dataDir>.lock with this pid and removes it on release', async () => {
    const lock = await lockDataDir(dataDir);
    expect(fs.readFileSync(`${dataDir}.lock`, 'utf8').trim()).toBe(String(process.pid));
    await lock.release();
    expect(fs.existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('refuses a directory this process already holds, naming it and the pid', async () => {
    const lock = await lockDataDir(dataDir);
    const err = await lockDataDir(dataDir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toContain(dataDir);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    await lock.release();
  });

  it('takes over a lock whose pid is dead, or that is empty', async () => {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    // pid_max is at most 2^22 on Linux: this pid cannot exist.
    fs.writeFileSync(`${dataDir}.lock`, '4194305\n');
    const lock = await lockDataDir(dataDir);
    expect(fs.readFileSync(`${dataDir}.lock`, 'utf8').trim()).toBe(String(process.pid));
    await lock.release();
    fs.writeFileSync(`${dataDir}.lock`, '');
    await (await lockDataDir(dataDir)).release();
  });

  it('takes over a lock carrying our own pid that this process never took (a restarted container reuses pids)', async () => {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    fs.writeFileSync(`${dataDir}.lock`, `${process.pid}\n`);
    const lock = await lockDataDir(dataDir);
    await lock.release();
    expect(fs.existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('refuses a lock held by another live process', async () => {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    // The parent of this worker is alive for the whole run.
    fs.writeFileSync(`${dataDir}.lock`, `${process.ppid}\n`);
    await expect(lockDataDir(dataDir)).rejects.toThrow(`pid ${process.ppid}`);
    expect(fs.readFileSync(`${dataDir}.lock`, 'utf8').trim()).toBe(String(process.ppid));
  });
});
