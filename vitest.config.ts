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
  // T2S_TEST_EMBEDDED=1 forces the embedded databases even where a PostgreSQL is available.
  const realPostgres =
    process.env.T2S_TEST_EMBEDDED !== '1' && (Boolean(process.env.DATABASE_URL) || (await reachable('127.0.0.1', 5432)));
  if (!realPostgres) {
    const why = process.env.T2S_TEST_EMBEDDED === '1' ? 'T2S_TEST_EMBEDDED=1' : 'no PostgreSQL (DATABASE_URL unset, nothing on 127.0.0.1:5432)';
    console.warn(`[vitest] ${why}: the integration suite runs against embedded PGlite databases`);
  }
  const projects: TestProjectInlineConfiguration[] = [
    {
      test: { name: 'unit', include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'], environment: 'node', sequence: { groupOrder: 0 } },
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
  {
    projects.push({
      test: {
        name: 'integration',
        include: ['test/integration/**/*.test.ts'],
        environment: 'node',
        globalSetup: [realPostgres ? 'test/helpers/global-setup.ts' : 'test/helpers/global-setup-embedded.ts'],
        env: realPostgres ? {} : { T2S_TEST_EMBEDDED: '1' },
        // PGlite (WASM, one session) is several times slower than a PostgreSQL server.
        testTimeout: realPostgres ? 60_000 : 180_000,
        hookTimeout: realPostgres ? 60_000 : 120_000,
        // Each file gets its own database; two at a time suits the 2-core machines this runs on.
        maxWorkers: 2,
        sequence: { groupOrder: 1 },
      },
    });
  }
  // The dashboard in headless chromium (test/browser): against a real PostgreSQL only, since
  // it needs several sessions (a held lock) and a real port; the tests skip, saying so, where no
  // chromium is installed.
  if (realPostgres) {
    projects.push({
      test: {
        name: 'browser',
        include: ['test/browser/**/*.test.ts'],
        environment: 'node',
        globalSetup: ['test/helpers/global-setup.ts'],
        testTimeout: 120_000,
        hookTimeout: 120_000,
        maxWorkers: 1,
        sequence: { groupOrder: 3 },
      },
    });
  } else {
    console.warn('[vitest] no PostgreSQL: the browser project (test/browser) does not run');
  }
  return { test: { projects } };
});
