import type { SqlQuery } from '../pool.js';

/** Asks the server to cancel the statement a backend is running (a lock wait included). */
export function cancelBackend(pid: number): SqlQuery {
  return { text: /* SQL */ `SELECT pg_cancel_backend($1) AS cancelled`, values: [pid] };
}
