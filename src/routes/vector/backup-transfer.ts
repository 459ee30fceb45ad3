import fsp from 'node:fs/promises';
import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { contentDisposition } from '../../http/content-disposition.js';
import { sendSuccess } from '../../http/envelope.js';
import { parseInput } from '../../http/parse-input.js';
import type { RouteRegistry } from '../../http/route-registry.js';
import type { Config } from '../../config.js';
import type { Services } from '../../create-services.js';
import { formatSize } from '../../lib/format-size.js';
import { missingFileError, toUploadError } from '../files.js';
import { BackupSetBody, BackupUploadForm } from './vector.schemas.js';

const MISSING_TAR = '请选择要上传的备份归档 (字段 file，vector_backup_<时间戳>.tar)';

/** Download and upload of a backup set as one tar (SPEC §7 "Formats and files"). */
export function registerBackupTransferRoutes(
  routes: RouteRegistry,
  services: Pick<Services, 'backupDownload' | 'backupUpload'>,
  uploads: Pick<Config['uploads'], 'tmpDir' | 'backupMaxBytes'>,
): void {
  routes.add({
    method: 'get',
    path: '/data_pipeline/vector/backups/download',
    tag: 'vector',
    summary: '下载一个备份集：数据文件与清单打包为一个 tar 流',
    query: BackupSetBody,
    produces: 'application/x-tar',
    success: { status: 200, description: 'vector_backup_<timestamp>.tar（Content-Disposition: attachment）' },
    errors: [400, 404, 503],
    handler: async ({ query, res }) => {
      const set = await services.backupDownload.open(query.backup_path, query.timestamp);
      try {
        res.status(200).set({
          'Content-Type': 'application/x-tar',
          'Content-Disposition': contentDisposition(set.fileName),
          'X-Content-Type-Options': 'nosniff',
        });
        // Headers go out with the first bytes; after that a failure aborts the socket (error
        // handler), which a client sees as a broken download rather than a JSON body inside a tar.
        await set.writeTar(res);
      } finally {
        await set.close();
      }
    },
  });

  // diskStorage, never memoryStorage: the tar can be gigabytes. It is spooled, unpacked from disk
  // into a staging directory and unlinked whatever happens.
  const upload = multer({
    storage: multer.diskStorage({ destination: uploads.tmpDir }),
    limits: { fileSize: uploads.backupMaxBytes, files: 1, fields: 10 },
  }).single('file');
  const tooLarge = `备份归档超出大小限制，最大允许: ${formatSize(uploads.backupMaxBytes)} (BACKUP_UPLOAD_MAX_BYTES)`;

  routes.add({
    method: 'post',
    path: '/data_pipeline/vector/backups/upload',
    tag: 'vector',
    summary: '上传一个备份集 (tar)：解包到暂存目录，按清单校验后发布',
    multipart: {
      file: `备份集归档 vector_backup_<时间戳>.tar（由下载接口生成；必须带清单；不超过 ${formatSize(uploads.backupMaxBytes)}）`,
      task_id: '上传到该任务目录的 vector_bak/；省略时为全局 vector_bak/',
    },
    middleware: [
      (req: Request, res: Response, next: NextFunction) => {
        upload(req, res, (err?: unknown) => next(err === undefined ? undefined : toUploadError(err, tooLarge)));
      },
    ],
    success: { status: 201, description: 'backup_path, backup_timestamp, files[{file, bytes}], has_manifest' },
    errors: [400, 404, 409, 413, 503],
    handler: async ({ req, res }) => {
      if (!req.file) throw missingFileError(MISSING_TAR);
      try {
        const form = parseInput(BackupUploadForm, req.body ?? {});
        const result = await services.backupUpload.upload(req.file.path, form.task_id);
        sendSuccess(res, 201, `备份集 ${result.backup_timestamp} 已上传并通过校验`, { ...result });
      } finally {
        await fsp.rm(req.file.path, { force: true });
      }
    },
  });
}
