import { z } from 'zod';

// Shared field types of the environment schema.

/** A PostgreSQL connection URL; checked here so a typo stops start-up instead of the first request. */
export const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\//i.test(value) && URL.canParse(value), {
    message: 'must be a postgresql:// URL',
  });

/** Comma-separated list; empty entries dropped. */
export const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

/** An http(s) URL variable. */
export const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
