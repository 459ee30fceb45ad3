import net from 'node:net';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/** Is a PostgreSQL listening where the integration suite looks for one by default? */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 500 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export default defineConfig(async () => {
  // The integration project needs a real PostgreSQL with pgvector: DATABASE_URL (CI), else a local
  // server on 127.0.0.1:5432. On a machine with neither, the unit and embedded-mode projects run
  // and the skip is said out loud.
  const realPostgres = Boolean(process.env.DATABASE_URL) || (await reachable('127.0.0.1', 5432));
  if (!realPostgres) {
    console.warn('[vitest] no PostgreSQL (DATABASE_URL unset, nothing on 127.0.0.1:5432): integration project skipped; unit and embedded-mode tests run');
  }
  const projects: TestProjectInlineConfiguration[] = [
    {
      test: { name: 'unit', include: ['src/**/*.test.ts'], environment: 'node', sequence: { groupOrder: 0 } },
    },
    {
      test: {
        name: 'embedded',
        include: ['test/embedded/**/*.test.ts'],
        environment: 'node',
        testTimeout: 300_000,
        hookTimeout: 180_000,
        sequence: { groupOrder: 2 },
      },
    },
  ];
  if (realPostgres) {
    projects.push({
      test: {
        name: 'integration',
        include: ['test/integration/**/*.test.ts'],
        environment: 'node',
        globalSetup: ['test/helpers/global-setup.ts'],
        testTimeout: 60_000,
        hookTimeout: 60_000,
        // Each file gets its own database; two at a time suits the 2-core machines this runs on.
        maxWorkers: 2,
        sequence: { groupOrder: 1 },
      },
    });
  }
  return { test: { projects } };
});
