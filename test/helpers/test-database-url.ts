/**
 * The server the integration suite runs against: DATABASE_URL when set (CI), else the local
 * PostgreSQL a developer machine of this project has.
 */
export function adminDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * No real PostgreSQL on this machine: the integration suite runs against embedded PGlite
 * databases (one per test file, copied from a migrated template data directory).
 */
export function embeddedTestMode(): boolean {
  return process.env.T2S_TEST_EMBEDDED === '1';
}
