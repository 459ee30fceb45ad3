import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { embeddedTestMode } from './test-database-url.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  baseUrl: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
  /** kill -9 of the server process (it is the child itself: no tsx parent in between). */
  kill9(): Promise<void>;
}

/**
 * `node --import <tsx loader> src/main.ts`: one process, as `node dist/main.js` runs in production.
 * The `tsx` CLI would put a parent process in between that relays signals and SIGKILLs the server
 * when the server's acknowledgement takes over 30 ms (a loaded CI machine), which shutdown tests
 * cannot tell from a crash.
 */
export function serverCommand(): { command: string; args: string[] } {
  const loader = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  return { command: process.execPath, args: ['--import', loader, path.join(ROOT, 'src/main.ts')] };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts `src/main.ts` as a real server process (as `npm start` would), waiting for /health. */
export async function startServer(
  cwd: string,
  env: Record<string, string>,
  options: { startupTimeoutMs?: number; command?: { command: string; args: string[] } } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const { command, args } = options.command ?? serverCommand();
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...(embeddedTestMode() ? { DB_POOL_MAX: '1' } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startupTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/api/v0/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
    kill9: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
