import { z } from 'zod';
import { dataOf, isoTime, JOB_ACCEPTED, TIMESTAMP_EXAMPLE } from './common.js';
import type { ResponseDocs } from '../../http/openapi.js';

const V = '/data_pipeline/vector';
const BAK = './data_pipeline/training_data/vector_bak';
const STAMP = '20250722_010318';
const TABLES = ['langchain_pg_collection', 'langchain_pg_embedding'] as const;
/** `{langchain_pg_collection?: T, langchain_pg_embedding?: T}`. */
const perTable = <T extends z.ZodType>(item: T) => z.object(Object.fromEntries(TABLES.map((t) => [t, item.optional()])) as Record<(typeof TABLES)[number], z.ZodOptional<T>>);

const truncateResult = z.object({ success: z.boolean(), rows_before: z.number().int(), rows_after: z.number().int(), duration: z.number() });
const compression = z.enum(['none', 'gzip']);
const setEntry = z.object({
  timestamp: z.string(),
  collection_file: z.string(),
  embedding_file: z.string(),
  collection_size: z.string(),
  embedding_size: z.string(),
  backup_date: z.string(),
  has_log: z.boolean(),
  log_file: z.string().nullable(),
  has_manifest: z.boolean(),
  legacy: z.boolean().describe('A set without manifest (the original\'s): restorable, not checksummed'),
  format: z.string(),
  compression,
  label: z.string().nullable(),
  rows: z.record(z.string(), z.number().int()).nullable(),
  collections: z.array(z.object({ uuid: z.string(), name: z.string(), rows: z.number().int() })).nullable(),
  source_database: z.string().nullable(),
  manifest_error: z.string().optional(),
});
const setExample = {
  timestamp: STAMP,
  collection_file: `langchain_pg_collection_${STAMP}.csv`,
  embedding_file: `langchain_pg_embedding_${STAMP}.csv`,
  collection_size: '204 B',
  embedding_size: '3.73 KB',
  backup_date: '2025-07-22 01:03:18',
  has_log: true,
  log_file: 'vector_backup_log.txt',
  has_manifest: true,
  legacy: false,
  format: 'csv',
  compression: 'none',
  label: 'before-reload',
  rows: { langchain_pg_collection: 4, langchain_pg_embedding: 62 },
  collections: [{ uuid: 'f4e11877-44e7-4741-b511-fa0e2e399395', name: 'sql', rows: 40 }],
  source_database: 'highway_db',
};
const backupResult = dataOf({
  backup_performed: z.boolean(),
  truncate_performed: z.boolean(),
  tables_backed_up: perTable(
    z.object({ success: z.boolean(), row_count: z.number().int(), file_size: z.string(), backup_file: z.string(), duration: z.number(), bytes: z.number().int().optional(), sha256: z.string().optional() }),
  ),
  truncate_results: perTable(truncateResult),
  errors: z.array(z.string()),
  backup_directory: z.string().optional(),
  backup_timestamp: z.string().optional(),
  duration: z.number(),
  manifest_file: z.string().nullable().optional(),
  compression: compression.optional(),
  label: z.string().nullable().optional(),
  pruned_sets: z.array(z.object({ timestamp: z.string() }).loose()).optional(),
});
const dryRun = dataOf({
  dry_run: z.literal(true),
  backup_performed: z.literal(false),
  truncate_performed: z.literal(false),
  backup_directory: z.string(),
  compression,
  label: z.string().nullable(),
  tables: perTable(z.object({ file: z.string(), rows: z.number().int().nullable(), rows_estimated: z.boolean(), bytes: z.number().int().nullable() })),
  collections: z.array(z.object({ uuid: z.string(), name: z.string(), rows: z.number().int(), bytes: z.number().int() })),
  total_rows: z.number().int(),
  total_bytes: z.number().int(),
  would_truncate: z.array(z.string()),
  would_prune: z.array(z.string()),
});
const verifyResult = dataOf({
  backup_path: z.string(),
  backup_timestamp: z.string(),
  has_manifest: z.boolean(),
  /** null for a legacy set (no manifest to check against). */
  valid: z.boolean().nullable(),
  files: z.array(
    z.object({
      file: z.string(),
      table: z.string(),
      expected_sha256: z.string().nullable(),
      rows_expected: z.number().int().nullable(),
      bytes_expected: z.number().int().nullable(),
      actual_sha256: z.string().nullable(),
      rows_found: z.number().int().nullable(),
      bytes_found: z.number().int().nullable(),
      ok: z.boolean(),
    }).loose(),
  ),
});

export const VECTOR_RESPONSES: ResponseDocs = {
  [`post ${V}/backup`]: {
    200: {
      description: 'The backup (or, with dry_run, what it would write: a second schema in oneOf)',
      data: z.union([backupResult, dryRun]),
      example: {
        backup_performed: true,
        truncate_performed: false,
        tables_backed_up: {
          langchain_pg_collection: { success: true, row_count: 4, file_size: '204 B', backup_file: `langchain_pg_collection_${STAMP}.csv`, duration: 0.029, bytes: 204, sha256: '56e34d45457915e23bd8ee65f12b5d4559ca0c2f3e71e622d05e7a317b0ada71' },
          langchain_pg_embedding: { success: true, row_count: 62, file_size: '3.73 KB', backup_file: `langchain_pg_embedding_${STAMP}.csv`, duration: 0.019, bytes: 3823, sha256: 'aa4fd407764cb0dcb32cd06069ecc9cfba37eef129b6d815c2ce13b687877d6f' },
        },
        truncate_results: {},
        errors: [],
        backup_directory: BAK,
        backup_timestamp: STAMP,
        duration: 0.105,
        manifest_file: `backup_manifest_${STAMP}.json`,
        compression: 'none',
        label: null,
        response: 'Vector表备份完成',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
    202: JOB_ACCEPTED,
  },
  [`get ${V}/restore/list`]: {
    200: {
      description: 'Every complete backup set, per location (the global vector_bak/ and each task\'s), newest first',
      data: dataOf({
        backup_locations: z.array(z.object({ type: z.enum(['global', 'task']), task_id: z.string().optional(), relative_path: z.string(), backups: z.array(setEntry) })),
        summary: z.object({
          total_locations: z.number().int(),
          total_backup_sets: z.number().int(),
          global_backups: z.number().int(),
          task_backups: z.number().int(),
          scan_time: isoTime,
        }),
      }),
      example: {
        backup_locations: [{ type: 'global', relative_path: BAK, backups: [setExample] }],
        summary: { total_locations: 1, total_backup_sets: 1, global_backups: 1, task_backups: 0, scan_time: TIMESTAMP_EXAMPLE },
        response: '找到 1 个备份集',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`post ${V}/restore`]: {
    200: {
      description: 'The restore, in one transaction: every table or none',
      data: dataOf({
        restore_performed: z.boolean(),
        truncate_performed: z.boolean(),
        backup_info: z.object({ backup_path: z.string(), timestamp: z.string(), backup_date: z.string() }),
        truncate_results: perTable(truncateResult),
        restore_results: perTable(
          z.object({ success: z.boolean(), source_file: z.string(), rows_restored: z.number().int(), file_size: z.string(), duration: z.number(), load_path: z.string() }).loose(),
        ),
        errors: z.array(z.string()),
        duration: z.number(),
      }),
      example: {
        restore_performed: true,
        truncate_performed: true,
        backup_info: { backup_path: BAK, timestamp: STAMP, backup_date: '2025-07-22 01:03:18' },
        truncate_results: { langchain_pg_embedding: { success: true, rows_before: 62, rows_after: 0, duration: 0.034 } },
        restore_results: {
          langchain_pg_embedding: { success: true, source_file: `langchain_pg_embedding_${STAMP}.csv`, rows_restored: 62, file_size: '3.73 KB', duration: 0.008, load_path: 'raw' },
        },
        errors: [],
        duration: 0.183,
        response: 'Vector表恢复完成',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
    202: JOB_ACCEPTED,
  },
  [`post ${V}/verify`]: {
    200: {
      description: 'Each file of the set read through and checked against its manifest (checksum, rows, bytes)',
      data: verifyResult,
      example: {
        backup_path: BAK,
        backup_timestamp: STAMP,
        has_manifest: true,
        valid: true,
        files: [
          {
            file: `langchain_pg_embedding_${STAMP}.csv`,
            table: 'langchain_pg_embedding',
            expected_sha256: 'aa4fd407764cb0dcb32cd06069ecc9cfba37eef129b6d815c2ce13b687877d6f',
            rows_expected: 62,
            bytes_expected: 3823,
            actual_sha256: 'aa4fd407764cb0dcb32cd06069ecc9cfba37eef129b6d815c2ce13b687877d6f',
            rows_found: 62,
            bytes_found: 3823,
            ok: true,
          },
        ],
        response: '备份集校验通过',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
    202: JOB_ACCEPTED,
  },
  [`delete ${V}/backups`]: {
    200: {
      description: 'The set\'s files, deleted',
      data: dataOf({ backup_path: z.string(), deleted_files: z.array(z.string()) }),
      example: {
        backup_path: BAK,
        deleted_files: [`backup_manifest_${STAMP}.json`, `langchain_pg_collection_${STAMP}.csv`, `langchain_pg_embedding_${STAMP}.csv`],
        response: `已删除备份集 ${STAMP}`,
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`post ${V}/backups/prune`]: {
    200: {
      description: 'The sets kept and the sets deleted by keep_last / older_than_days (dry_run: what would be)',
      data: dataOf({
        backup_path: z.string(),
        kept: z.array(z.string()),
        deleted: z.array(z.object({ timestamp: z.string(), backup_date: z.string(), deleted_files: z.array(z.string()) }).loose()),
      }),
      example: { backup_path: BAK, kept: [STAMP], deleted: [], response: '没有需要清理的备份集', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`post ${V}/backups/upload`]: {
    201: {
      description: 'The uploaded set, checked like verify and published',
      data: dataOf({
        backup_path: z.string(),
        backup_timestamp: z.string(),
        files: z.array(z.object({ file: z.string(), bytes: z.number().int() })),
        has_manifest: z.boolean(),
      }),
      example: {
        backup_path: BAK,
        backup_timestamp: STAMP,
        files: [
          { file: `langchain_pg_collection_${STAMP}.csv`, bytes: 204 },
          { file: `langchain_pg_embedding_${STAMP}.csv`, bytes: 3823 },
        ],
        has_manifest: true,
        response: `备份集 ${STAMP} 已上传并通过校验`,
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
};
