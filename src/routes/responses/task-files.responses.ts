import { z } from 'zod';
import { dataOf, isoTime, nullableTime, pagination, stepName, TIMESTAMP_EXAMPLE } from './common.js';
import type { ResponseDocs } from '../../http/openapi.js';

const TASKS = '/data_pipeline/tasks';
const TASK_ID = 'task_20250721_213627';
const TASK_DIR = `./data_pipeline/training_data/${TASK_ID}`;

const fileItem = z.object({
  file_name: z.string(),
  file_type: z.string(),
  file_size: z.number().int(),
  file_size_formatted: z.string(),
  file_size_human: z.string(),
  created_at: isoTime,
  modified_at: isoTime,
  is_readable: z.boolean(),
  is_primary: z.boolean(),
  description: z.string(),
  download_url: z.string(),
});
const fileExample = {
  file_name: 'data_pipeline.log',
  file_type: 'log',
  file_size: 2580,
  file_size_formatted: '2.52 KB',
  file_size_human: '2.52 KB',
  created_at: '2025-07-21T21:36:30.150+08:00',
  modified_at: '2025-07-21T21:38:12.948+08:00',
  is_readable: true,
  is_primary: false,
  description: '任务执行日志',
  download_url: `/api/v0${TASKS}/${TASK_ID}/files/data_pipeline.log`,
};
const totals = {
  exists: z.boolean(),
  directory_path: z.string(),
  total_files: z.number().int(),
  total_size: z.number().int(),
  total_size_formatted: z.string(),
  total_size_human: z.string(),
};
const logEntry = z.object({
  timestamp: z.string().describe('YYYY-MM-DD HH:MM:SS (server local time, as written)'),
  level: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR']),
  logger: z.string(),
  step: stepName.nullable(),
  message: z.string(),
  line_number: z.number().int(),
});
const logExample = {
  timestamp: '2025-07-21 21:36:41',
  level: 'INFO',
  logger: `TaskDir_${TASK_ID}`,
  step: 'ddl_generation',
  message: '[ddl_generation] 步骤执行完成: ddl_generation',
  line_number: 9,
};
const tableListFile = {
  task_id: z.string(),
  filename: z.string(),
  file_name: z.string(),
  file_path: z.string(),
  file_size: z.number().int(),
  file_size_formatted: z.string(),
  table_count: z.number().int(),
  tables: z.array(z.string()),
};
const tableListExample = {
  task_id: TASK_ID,
  filename: 'table_list.txt',
  file_name: 'table_list.txt',
  file_path: `${TASK_DIR}/table_list.txt`,
  file_size: 19,
  file_size_formatted: '19 B',
  table_count: 1,
  tables: ['public.bss_company'],
};

export const TASK_FILE_RESPONSES: ResponseDocs = {
  [`get ${TASKS}/:task_id/files`]: {
    200: {
      description: 'The files of the task directory, its totals, and its vector_bak/ (backup sets with their download URLs)',
      data: dataOf({
        task_id: z.string(),
        files: z.array(fileItem),
        directory_info: z.object(totals),
        total_files: z.number().int(),
        total_size: z.number().int(),
        total_size_human: z.string(),
        vector_bak: z.object({ ...totals, backup_sets: z.array(z.object({ timestamp: z.string() }).loose()), files: z.array(fileItem) }),
        backup_directories: z.array(z.string()),
      }),
      example: {
        task_id: TASK_ID,
        files: [fileExample],
        directory_info: { exists: true, directory_path: TASK_DIR, total_files: 1, total_size: 2580, total_size_formatted: '2.52 KB', total_size_human: '2.52 KB' },
        total_files: 1,
        total_size: 2580,
        total_size_human: '2.52 KB',
        vector_bak: { exists: false, directory_path: `${TASK_DIR}/vector_bak`, total_files: 0, total_size: 0, total_size_formatted: '0 B', total_size_human: '0 B', backup_sets: [], files: [] },
        backup_directories: [],
        response: '获取任务文件列表成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`post ${TASKS}/:task_id/upload-table-list`]: {
    200: {
      description: 'The stored table list (UTF-8, whatever encoding was uploaded) and the tables it names',
      data: dataOf({ ...tableListFile, upload_time: isoTime, original_filename: z.string(), source_encoding: z.string() }),
      example: {
        ...tableListExample,
        upload_time: TIMESTAMP_EXAMPLE,
        original_filename: 'tables.txt',
        source_encoding: 'utf-8',
        response: '表清单文件上传成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`get ${TASKS}/:task_id/table-list-info`]: {
    200: {
      description: 'Whether the task has a table list, and the tables in it',
      data: dataOf({
        ...tableListFile,
        has_file: z.boolean(),
        has_table_list: z.boolean(),
        exists: z.boolean(),
        uploaded_at: nullableTime,
        created_at: nullableTime,
        table_names: z.array(z.string()),
        invalid_tables: z.array(z.unknown()),
        is_readable: z.boolean(),
      }).partial({ filename: true, file_name: true, file_path: true, file_size: true, file_size_formatted: true, uploaded_at: true, created_at: true }),
      example: {
        ...tableListExample,
        has_file: true,
        has_table_list: true,
        exists: true,
        uploaded_at: TIMESTAMP_EXAMPLE,
        created_at: TIMESTAMP_EXAMPLE,
        table_names: ['public.bss_company'],
        invalid_tables: [],
        is_readable: true,
        response: '获取表清单文件信息成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`post ${TASKS}/:task_id/table-list`]: {
    200: {
      description: 'The table list written from the JSON body (duplicates removed)',
      data: dataOf({ ...tableListFile, unique_table_count: z.number().int(), original_count: z.number().int(), created_time: isoTime }),
      example: { ...tableListExample, unique_table_count: 1, original_count: 1, created_time: TIMESTAMP_EXAMPLE, response: '表清单已成功创建，包含 1 个表', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`post ${TASKS}/:task_id/files`]: {
    200: {
      description: 'The uploaded file; with overwrite_mode=backup an existing file was kept as <name>_bak<N> (backup_info); with skip, skipped=true',
      data: dataOf({
        success: z.boolean(),
        skipped: z.boolean(),
        message: z.string().optional(),
        task_id: z.string(),
        uploaded_file: z
          .object({
            filename: z.string(),
            size: z.number().int().optional(),
            size_formatted: z.string().optional(),
            uploaded_at: isoTime.optional(),
            overwrite_mode: z.enum(['backup', 'replace', 'skip']).optional(),
            download_url: z.string().optional(),
            existed: z.boolean().optional(),
            action: z.literal('skipped').optional(),
          }),
        backup_info: z
          .object({ had_existing_file: z.boolean(), backup_filename: z.string(), backup_version: z.number().int(), backup_created_at: isoTime })
          .optional(),
      }),
      example: {
        success: true,
        skipped: false,
        task_id: TASK_ID,
        uploaded_file: {
          filename: 'note.txt',
          size: 3,
          size_formatted: '3 B',
          uploaded_at: TIMESTAMP_EXAMPLE,
          overwrite_mode: 'backup',
          download_url: `/api/v0${TASKS}/${TASK_ID}/files/note.txt`,
        },
        response: '文件上传成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`get ${TASKS}/:task_id/logs`]: {
    200: {
      description: 'The last `limit` lines of the task log, oldest first, filtered by level and step',
      data: dataOf({
        task_id: z.string(),
        logs: z.array(logEntry),
        total: z.number().int(),
        returned: z.number().int(),
        source: z.literal('file'),
        log_file: z.string(),
      }),
      example: {
        task_id: TASK_ID,
        logs: [logExample],
        total: 20,
        returned: 1,
        source: 'file',
        log_file: `${TASK_DIR}/data_pipeline.log`,
        response: '获取任务日志成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`post ${TASKS}/:task_id/logs/query`]: {
    200: {
      description: 'One page of the task log matching the filters',
      data: dataOf({
        task_id: z.string(),
        logs: z.array(logEntry),
        pagination,
        log_file_info: z.object({
          exists: z.boolean(),
          file_path: z.string(),
          file_size: z.number().int(),
          file_size_formatted: z.string(),
          last_modified: nullableTime,
          total_lines: z.number().int(),
        }),
        query_time: z.string(),
      }),
      example: {
        task_id: TASK_ID,
        logs: [logExample],
        pagination: { page: 1, page_size: 50, total: 1, total_pages: 1, has_next: false, has_prev: false },
        log_file_info: {
          exists: true,
          file_path: `${TASK_DIR}/data_pipeline.log`,
          file_size: 2580,
          file_size_formatted: '2.52 KB',
          last_modified: TIMESTAMP_EXAMPLE,
          total_lines: 20,
        },
        query_time: '0.028s',
        response: '查询任务日志成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
};
