import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DatabaseRegistry } from '../../src/db/database-registry.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';

/** The same database under another connection string: each one gets its own cached request pool. */
function named(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

// Request pools are pools of other servers' connections; the embedded database shares its one session.
describe.skipIf(embeddedTestMode())('request pool cache: leased pools are never ended under their user', () => {
  let db: TestDatabase;
  let registry: DatabaseRegistry;

  beforeAll(async () => {
    db = await createTestDatabase();
    registry = new DatabaseRegistry(loadConfig({ DATABASE_URL: db.url }), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await registry.close();
    await db.drop();
  });

  it('a pool leased by a running job survives 9 other connection strings; idle ones are evicted and ended', async () => {
    const held = registry.businessDatabase(named(db.url, 't2s-held'));
    await held.pool.query('SELECT 1');
    const others = [];
    for (let i = 0; i < 9; i += 1) {
      using other = registry.businessDatabase(named(db.url, `t2s-other-${i}`));
      await other.pool.query('SELECT 1');
      others.push(other.pool);
    }
    // The cache holds 8: the held pool was the oldest, yet the idle ones went first.
    expect((await held.pool.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    expect(others[0]!.ended).toBe(true);

    // Evicted while leased (every cached pool in use): it keeps working and ends with its last lease.
    const leases = Array.from({ length: 8 }, (_, i) => registry.businessDatabase(named(db.url, `t2s-busy-${i}`)));
    expect(held.pool.ended).toBe(false);
    expect((await held.pool.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    held.release();
    held.release(); // idempotent: one lease, one return
    await expect.poll(() => held.pool.ended).toBe(true);
    for (const lease of leases) lease.release();
    // Leases of the role pools (no connection string given) are no-ops.
    using role = registry.businessDatabase(undefined);
    expect(role.pool).toBe(registry.business);
  });
});
