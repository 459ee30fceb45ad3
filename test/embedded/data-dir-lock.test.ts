import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

/**
 * PGlite keeps no postmaster.pid: without a lock, a second server on the same ./data/pglite starts
 * "healthy" and the two overwrite each other's files. The second one must refuse to start.
 */
function holderPid(lockFile: string): number {
  return Number(fs.readFileSync(lockFile, 'utf8').trim());
}

describe('embedded mode: one server per data directory', () => {
  let cwd: string;
  let first: ServerProcess | undefined;
  const env = { DATABASE_URL: '', VECTOR_DATABASE_URL: '', BUSINESS_DATABASE_URL: '', EMBEDDING_DIMENSIONS: '256' };

  beforeAll(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-embedded-lock-'));
    first = await startServer(cwd, { ...env, LOG_DIR: path.join(cwd, 'logs') }, { startupTimeoutMs: 120_000 });
  }, 150_000);
  afterAll(async () => {
    await first?.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('a second server on the same directory exits non-zero, naming the directory and the holder pid', async () => {
    const lockFile = path.join(cwd, 'data/pglite.lock');
    const holder = holderPid(lockFile);
    const second = startServer(cwd, { ...env, LOG_DIR: path.join(cwd, 'logs2') }, { startupTimeoutMs: 120_000 });
    const failure = await second.then(
      async (s) => {
        await s.stop();
        return null;
      },
      (err: Error) => err.message,
    );
    expect(failure).not.toBeNull();
    expect(failure).toMatch(/server exited with [1-9]/);
    expect(failure).toContain('data/pglite');
    expect(failure).toContain(`pid ${holder}`);
    // The first server is untouched and still holds the lock.
    expect((await fetch(`${first!.baseUrl}/api/v0/health`)).status).toBe(200);
    expect(holderPid(lockFile)).toBe(holder);
  }, 150_000);

  it('a lock left by a killed server is taken over; a clean stop removes it', async () => {
    const lockFile = path.join(cwd, 'data/pglite.lock');
    const killed = holderPid(lockFile);
    // The holder is the node process running main.ts (tsx runs it as its child).
    const exited = new Promise((resolve) => first!.child.once('exit', resolve));
    process.kill(killed, 'SIGKILL');
    await exited;
    expect(holderPid(lockFile)).toBe(killed);
    first = await startServer(cwd, { ...env, LOG_DIR: path.join(cwd, 'logs') }, { startupTimeoutMs: 120_000 });
    expect(holderPid(lockFile)).not.toBe(killed);
    expect(await first.stop()).toBe(0);
    first = undefined;
    expect(fs.existsSync(lockFile)).toBe(false);
  }, 150_000);
});
