import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import type { z } from 'zod';
import { AppError, ERROR_TYPES, PayloadTooLargeError, ValidationError } from '../errors.js';
import { contentDisposition } from '../http/content-disposition.js';
import { sendSuccess } from '../http/envelope.js';
import { parseInput } from '../http/parse-input.js';
import type { RouteRegistry } from '../http/route-registry.js';
import { BACKUP_DIR_NAME } from '../backups/sets/set-naming.js';
import type { TableListService } from '../task-files/table-list-service.js';
import { tableListTooLargeMessage } from '../task-files/table-list.js';
import type { FileService } from '../task-files/task-file-service.js';
import type { TaskLookup } from '../task-files/task-lookup.js';
import { formatSize } from '../lib/format-size.js';
import { TableListBody, TaskFileParams, TaskParams, UploadFileForm } from './files.schemas.js';

export interface FileRouteOptions {
  /** Where multer spools uploads before the service checks and moves them (deleted either way). */
  uploadTempDir: string;
  tableListBytes: number;
  uploadBytes: number;
}

interface UploadRules {
  tasks: TaskLookup;
  tempDir: string;
  maxBytes: number;
  /** The 413 text when multer's size limit trips. */
  tooLarge: string;
  /** Name checks run before a byte is written, so a wrong file is never spooled. */
  checkName: (name: string) => void;
  /** The 400 text when there is no `file` part. */
  missingFile: string;
  form?: z.ZodType;
}

/** Multer and body-parser report problems with these; anything else from busboy is malformed input. */
export function toUploadError(err: unknown, tooLarge: string): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof multer.MulterError) {
    const field = err.field ?? 'file';
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return new PayloadTooLargeError(tooLarge);
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        // `.single('file')` reports a second `file` part the same way as a part under another name.
        return new ValidationError(
          field === 'file' ? '一次只能上传一个文件 (字段 file)' : `不支持的文件字段: ${field}，请使用字段 file`,
          ERROR_TYPES.INVALID_PARAMS,
          { invalidParams: [field] },
        );
      default:
        return new ValidationError(`上传表单无效 (${err.code}): ${err.message}`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: [field] });
    }
  }
  // Disk errors (ENOSPC, EACCES) carry a syscall and stay 500s; parser errors are the client's.
  if (err instanceof Error && !('syscall' in err)) {
    return new ValidationError(`multipart/form-data 请求体无效: ${err.message}`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
  }
  return err;
}

export function missingFileError(message: string): ValidationError {
  return new ValidationError(message, ERROR_TYPES.MISSING_REQUIRED_PARAMS, { missingParams: ['file'] });
}

/**
 * The upload chain, in the original's order: task id and task row first (nothing is spooled for an
 * unknown task), then multer to a temp file (diskStorage, size/count limits, name checked in
 * fileFilter), then the `file` part and the form fields. Any rejection after the spool deletes the
 * temp file before replying, so the temp dir never keeps a failed upload.
 */
function uploadChain(rules: UploadRules): RequestHandler[] {
  const upload = multer({
    storage: multer.diskStorage({ destination: rules.tempDir }),
    limits: { fileSize: rules.maxBytes, files: 1, fields: 10 },
    // Keep the client's name as sent (`../x.txt` stays) so the name check can refuse it openly,
    // and read raw UTF-8 names (curl, browsers) as UTF-8 rather than multer's latin1 default.
    preservePath: true,
    defParamCharset: 'utf8',
    fileFilter: (_req, file, accept) => {
      try {
        rules.checkName(file.originalname);
      } catch (err) {
        accept(err as Error);
        return;
      }
      accept(null, true);
    },
  }).single('file');

  return [
    async (req: Request, _res: Response, next: NextFunction) => {
      const { task_id } = parseInput(TaskParams, req.params);
      await rules.tasks.requireTask(task_id);
      next();
    },
    (req: Request, res: Response, next: NextFunction) => {
      upload(req, res, (err?: unknown) => next(err === undefined ? undefined : toUploadError(err, rules.tooLarge)));
    },
    async (req: Request, _res: Response, next: NextFunction) => {
      if (!req.file) throw missingFileError(rules.missingFile);
      if (rules.form) {
        try {
          parseInput(rules.form, req.body ?? {});
        } catch (err) {
          await fs.promises.rm(req.file.path, { force: true });
          throw err;
        }
      }
      next();
    },
  ];
}

function uploadedFile(req: Request, missingMessage: string): Express.Multer.File {
  if (!req.file) throw missingFileError(missingMessage);
  return req.file;
}

export function registerFileRoutes(
  routes: RouteRegistry,
  services: { files: FileService; tableLists: TableListService; taskLookup: TaskLookup },
  options: FileRouteOptions,
): void {
  const { files, tableLists, taskLookup } = services;

  routes.add({
    method: 'get',
    path: '/data_pipeline/tasks/:task_id/files',
    tag: 'files',
    summary: '列出任务目录中的文件（含 vector_bak/ 备份集与 file_bak_* 目录）',
    params: TaskParams,
    success: { status: 200, description: 'files[], directory_info, total_files, total_size, vector_bak, backup_directories' },
    errors: [400, 404],
    handler: async ({ params, res }) => {
      sendSuccess(res, 200, '获取任务文件列表成功', await files.listFiles(params.task_id));
    },
  });

  const download = async (taskId: string, fileName: string, res: Response) => {
    const file = await files.openDownload(taskId, fileName);
    res.status(200).set({
      'Content-Type': file.contentType,
      'Content-Length': String(file.size),
      'Content-Disposition': contentDisposition(file.fileName),
      'X-Content-Type-Options': 'nosniff',
    });
    await pipeline(file.open(), res);
  };

  routes.add({
    method: 'get',
    path: '/data_pipeline/tasks/:task_id/files/:file_name',
    tag: 'files',
    summary: '下载任务目录中的文件',
    params: TaskFileParams,
    produces: 'application/octet-stream',
    success: { status: 200, description: '文件内容（Content-Disposition: attachment）' },
    errors: [400, 404],
    handler: async ({ params, res }) => download(params.task_id, params.file_name, res),
  });

  routes.add({
    method: 'get',
    path: `/data_pipeline/tasks/:task_id/files/${BACKUP_DIR_NAME}/:file_name`,
    tag: 'files',
    summary: '下载任务 vector_bak/ 目录中的备份文件',
    params: TaskFileParams,
    produces: 'application/octet-stream',
    success: { status: 200, description: '文件内容（Content-Disposition: attachment）' },
    errors: [400, 404],
    handler: async ({ params, res }) => download(params.task_id, `${BACKUP_DIR_NAME}/${params.file_name}`, res),
  });

  const tableListMissing = '请选择要上传的表清单文件';
  routes.add({
    method: 'post',
    path: '/data_pipeline/tasks/:task_id/upload-table-list',
    tag: 'files',
    summary: '上传表清单文件 table_list.txt（UTF-8 或 GBK，保存为 UTF-8）',
    params: TaskParams,
    multipart: { file: `表清单文件 (.txt，不超过 ${formatSize(options.tableListBytes)})` },
    middleware: uploadChain({
      tasks: taskLookup,
      tempDir: options.uploadTempDir,
      maxBytes: options.tableListBytes,
      tooLarge: tableListTooLargeMessage(options.tableListBytes),
      checkName: (name) => tableLists.assertTableListFileName(name),
      missingFile: tableListMissing,
    }),
    success: { status: 200, description: 'filename/file_name, file_size, file_size_formatted, upload_time, table_count, tables' },
    errors: [400, 404, 413],
    handler: async ({ params, req, res }) => {
      const file = uploadedFile(req, tableListMissing);
      const result = await tableLists.uploadTableList(params.task_id, file.path, file.originalname);
      sendSuccess(res, 200, '表清单文件上传成功', result);
    },
  });

  routes.add({
    method: 'get',
    path: '/data_pipeline/tasks/:task_id/table-list-info',
    tag: 'files',
    summary: '表清单文件信息与解析出的表名',
    params: TaskParams,
    success: { status: 200, description: 'has_file/has_table_list, exists, file_name/filename, table_count, table_names/tables' },
    errors: [400, 404],
    handler: async ({ params, res }) => {
      sendSuccess(res, 200, '获取表清单文件信息成功', await tableLists.tableListInfo(params.task_id));
    },
  });

  routes.add({
    method: 'post',
    path: '/data_pipeline/tasks/:task_id/table-list',
    tag: 'files',
    summary: '由表名列表直接创建 table_list.txt（tables 或 table_names）',
    params: TaskParams,
    body: TableListBody,
    missingMessagePrefix: '缺少必需参数：',
    success: { status: 200, description: 'filename, table_count, unique_table_count, original_count, file_size, created_time, tables' },
    errors: [400, 404],
    handler: async ({ params, body, res }) => {
      const result = await tableLists.createTableList(params.task_id, body.tables);
      sendSuccess(res, 200, `表清单已成功创建，包含 ${result.table_count} 个表`, result);
    },
  });

  const uploadMissing = '请选择要上传的文件';
  routes.add({
    method: 'post',
    path: '/data_pipeline/tasks/:task_id/files',
    tag: 'files',
    summary: '上传文件到任务目录（.ddl .md .txt .json .sql .csv）',
    params: TaskParams,
    multipart: {
      file: `要上传的文件（不超过 ${formatSize(options.uploadBytes)}）`,
      overwrite_mode: '同名文件已存在时: backup（默认，先复制为 <name>_bak<N>）| replace | skip',
    },
    middleware: uploadChain({
      tasks: taskLookup,
      tempDir: options.uploadTempDir,
      maxBytes: options.uploadBytes,
      tooLarge: `文件大小超出限制，最大允许: ${formatSize(options.uploadBytes)}`,
      checkName: (name) => files.assertUploadFileName(name),
      missingFile: uploadMissing,
      form: UploadFileForm,
    }),
    success: { status: 200, description: 'uploaded_file {filename, size, size_formatted, uploaded_at, overwrite_mode}, backup_info?' },
    errors: [400, 404, 413],
    handler: async ({ params, req, res }) => {
      const file = uploadedFile(req, uploadMissing);
      const form = parseInput(UploadFileForm, req.body ?? {});
      const result = await files.uploadFile(params.task_id, file.path, file.originalname, form.overwrite_mode);
      sendSuccess(res, 200, result.skipped ? result.message : '文件上传成功', result);
    },
  });
}
