import { clientGoneSignal } from '../../http/client-gone.js';
import { sendSuccess } from '../../http/envelope.js';
import type { RouteRegistry } from '../../http/route-registry.js';
import type { Services } from '../../create-services.js';
import { sendJobAccepted } from './vector-jobs.js';
import { BackupPruneBody, BackupSetBody, VerifyBody } from './vector.schemas.js';

/** Verify, delete and prune backup sets (SPEC §7 "Manifest, checksums, verify", "Formats and files"). */
export function registerBackupSetRoutes(routes: RouteRegistry, services: Services): void {
  routes.add({
    method: 'post',
    path: '/data_pipeline/vector/verify',
    tag: 'vector',
    summary: '校验备份集：重新计算每个文件的 SHA-256 与行数并与清单比对',
    body: VerifyBody,
    success: {
      status: 200,
      description: 'valid (无清单的旧备份为 null), has_manifest, files[{file, expected_sha256, actual_sha256, rows_expected, rows_found, ok}] (async: 202 job_id, status_url)',
    },
    errors: [400, 404, 503],
    handler: async ({ body, res }) => {
      if (body.async) return sendJobAccepted(res, await services.vectorJobs.enqueue('verify', body));
      const result = await services.backupVerifier.verify({ backupPath: body.backup_path, timestamp: body.timestamp, signal: clientGoneSignal(res) });
      const text =
        result.valid === null ? '该备份集没有清单 (旧格式)，已检查文件能否解析' : result.valid ? '备份集校验通过' : '备份集校验失败';
      sendSuccess(res, 200, text, { ...result });
    },
  });

  routes.add({
    method: 'delete',
    path: '/data_pipeline/vector/backups',
    tag: 'vector',
    summary: '删除一个备份集（数据文件与清单；备份日志保留）',
    body: BackupSetBody,
    success: { status: 200, description: 'backup_path, timestamp, deleted_files' },
    errors: [400, 404, 503],
    handler: async ({ body, res }) => {
      const result = await services.backupRetention.deleteSet(body.backup_path, body.timestamp);
      sendSuccess(res, 200, `已删除备份集 ${body.timestamp}`, { ...result });
    },
  });

  routes.add({
    method: 'post',
    path: '/data_pipeline/vector/backups/prune',
    tag: 'vector',
    summary: '按保留策略清理备份集（keep_last / older_than_days）',
    body: BackupPruneBody,
    missingMessagePrefix: '缺少必需参数 (至少指定其中一个): ',
    success: { status: 200, description: 'backup_path, kept (timestamps), deleted[{timestamp, backup_date, deleted_files}]' },
    errors: [400, 404, 503],
    handler: async ({ body, res }) => {
      const result = await services.backupRetention.prune({
        backupPath: body.backup_path,
        taskId: body.task_id,
        keepLast: body.keep_last,
        olderThanDays: body.older_than_days,
      });
      sendSuccess(res, 200, result.deleted.length === 0 ? '没有需要清理的备份集' : `已清理 ${result.deleted.length} 个备份集`, { ...result });
    },
  });
}
