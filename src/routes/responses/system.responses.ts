import { z } from 'zod';
import { dataOf, TIMESTAMP_EXAMPLE } from './common.js';
import type { ResponseDocs } from '../../http/openapi.js';

const check = z.object({ ok: z.boolean() }).loose();
const field = z.object({
  name: z.string(),
  column_name: z.string(),
  type: z.string(),
  data_type: z.string(),
  max_length: z.number().int().nullable(),
  nullable: z.boolean(),
  is_nullable: z.boolean(),
  comment: z.string().nullable(),
  is_primary_key: z.boolean(),
  is_foreign_key: z.boolean(),
  default_value: z.string().nullable(),
  is_enum: z.boolean(),
  enum_values: z.array(z.string()).nullable(),
});

/** Health and the database tools. */
export const SYSTEM_RESPONSES: ResponseDocs = {
  'get /health': {
    200: {
      description: 'Every check passed (a failing one answers 503 with the same checks)',
      data: dataOf({
        status: z.literal('healthy'),
        version: z.string(),
        healthy: z.literal(true),
        checks: z.object({
          app_database: check,
          vector_database: check,
          business_database: check,
          pgvector: check,
          data_root: check,
        }),
        providers: z.object({
          llm: z.object({ provider: z.string(), model: z.string() }).nullable(),
          embedding: z.object({ provider: z.string(), model: z.string(), dimensions: z.number().int() }),
        }),
      }),
      example: {
        status: 'healthy',
        version: '0.1.0',
        healthy: true,
        checks: {
          app_database: { ok: true, latency_ms: 2 },
          vector_database: { ok: true, latency_ms: 1 },
          business_database: { ok: true, latency_ms: 2 },
          pgvector: { ok: true, installed_version: '0.8.0', available_version: '0.8.0' },
          data_root: { ok: true, path: './data_pipeline/training_data' },
        },
        providers: { llm: null, embedding: { provider: 'builtin', model: 'builtin-lexical-hash-v1', dimensions: 1024 } },
        response: '服务正常',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  'post /database/tables': {
    200: {
      description: 'The tables of the business database (schema-qualified), filtered by schema and name pattern',
      data: dataOf({
        tables: z.array(z.string()),
        total: z.number().int(),
        schemas: z.array(z.string()),
        table_name_pattern: z.string().optional(),
        db_connection_info: z.object({ database: z.string() }),
      }),
      example: {
        tables: ['public.bss_company', 'public.bss_service_area'],
        total: 2,
        schemas: ['public'],
        db_connection_info: { database: 'highway_db' },
        response: '获取表列表成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  'post /database/table/ddl': {
    200: {
      description: 'The table\'s DDL and/or Markdown document (type), with its columns and comments',
      data: dataOf({
        ddl: z.string().optional(),
        md: z.string().optional(),
        table_info: z.object({
          table_name: z.string(),
          schema_name: z.string(),
          full_name: z.string(),
          comment: z.string().nullable(),
          field_count: z.number().int(),
          row_count: z.number().int().nullable(),
          row_count_exact: z.boolean(),
          table_size: z.string(),
        }),
        fields: z.array(field),
        generation_info: z.object({
          business_context: z.string(),
          output_type: z.enum(['ddl', 'md', 'both']),
          has_llm_comments: z.boolean(),
          comment_provider: z.string(),
          database: z.string(),
        }),
      }),
      example: {
        ddl: '-- 中文名: 公司\ncreate table public.bss_company (\n  id integer not null,        -- 主键ID，主键\n  company_name text,          -- 公司名称\n  primary key (id)\n);',
        table_info: {
          table_name: 'bss_company',
          schema_name: 'public',
          full_name: 'public.bss_company',
          comment: '公司',
          field_count: 2,
          row_count: 2,
          row_count_exact: true,
          table_size: '32 kB',
        },
        fields: [
          {
            name: 'id',
            column_name: 'id',
            type: 'integer',
            data_type: 'integer',
            max_length: null,
            nullable: false,
            is_nullable: false,
            comment: '主键ID',
            is_primary_key: true,
            is_foreign_key: false,
            default_value: null,
            is_enum: false,
            enum_values: null,
          },
        ],
        generation_info: { business_context: '', output_type: 'ddl', has_llm_comments: false, comment_provider: 'builtin', database: 'highway_db' },
        response: '获取表DDL成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
};
