import { z } from 'zod';

/** Metrics and the console. */
export const observabilityEnv = {
  /**
   * `GET /metrics` without the bearer token (true/false). Default true: Prometheus scrapers rarely
   * carry a bearer token, the figures hold no task data (counts, sizes, durations, route patterns),
   * and a server without API_TOKEN has no token to ask for anyway; set false to put it behind API_TOKEN.
   */
  METRICS_PUBLIC: z.enum(['true', 'false']).default('true'),
  /** Console format: pretty (human-readable) or json (pino lines). Default: pretty on a terminal, json otherwise. logs/app.log is always JSON. */
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
};
