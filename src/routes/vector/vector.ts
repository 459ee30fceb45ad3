import { clientGoneSignal } from '../../http/client-gone.js';
import { sendSuccess } from '../../http/envelope.js';
import type { RouteRegistry } from '../../http/route-registry.js';
import type { Services } from '../../create-services.js';
import { registerBackupSetRoutes } from './backup-sets.js';
import { backupRequestOf, restoreRequestOf } from '../../backups/vector-requests.js';
import { sendJobAccepted } from './vector-jobs.js';
import { VectorBackupBody, VectorRestoreBody, VectorRestoreListQuery } from './vector.schemas.js';

export function registerVectorRoutes(routes: RouteRegistry, services: Services): void {
  routes.add({
    method: 'post',
    path: '/data_pipeline/vector/backup',
    tag: 'vector',
    summary: '备份 langchain_pg_collection / langchain_pg_embedding 到 CSV 或二进制 COPY 文件',
    body: VectorBackupBody,
    success: {
      status: 200,
      description:
        'tables_backed_up, truncate_results, backup_directory, backup_timestamp, duration, manifest_file, format, compression, label, pruned_sets; dry_run: tables (with estimated_seconds), collections, total_rows, total_bytes, would_truncate, would_prune, estimated_seconds, throughput {rows_per_sec, source, jobs_sampled}; async: 202 job_id, status_url',
    },
    errors: [400, 404, 409, 500, 503],
    handler: async ({ body, res }) => {
      if (body.dry_run === true) {
        sendSuccess(res, 200, 'Vector表备份预演完成 (dry_run，未写入任何文件)', { ...(await services.backupEstimator.estimate(backupRequestOf(body))) });
        return;
      }
      if (body.async) return sendJobAccepted(res, await services.vectorJobs.enqueue('backup', body));
      const result = await services.vectorBackup.backup({ ...backupRequestOf(body), signal: clientGoneSignal(res) });
      sendSuccess(res, 200, result.backup_performed ? 'Vector表备份完成' : '未执行备份 (backup_vector_tables=false)', { ...result });
    },
  });

  routes.add({
    method: 'get',
    path: '/data_pipeline/vector/restore/list',
    tag: 'vector',
    summary: '列出可恢复的备份集',
    query: VectorRestoreListQuery,
    success: { status: 200, description: 'backup_locations[], summary' },
    errors: [400, 503],
    handler: async ({ query, res }) => {
      const listing = await services.backupCatalog.list({ taskId: query.task_id, globalOnly: query.global_only });
      const text =
        listing.summary.total_backup_sets === 0
          ? '未找到任何可用的备份文件'
          : `成功扫描到 ${listing.summary.total_locations} 个备份位置，共 ${listing.summary.total_backup_sets} 个备份集`;
      sendSuccess(res, 200, text, { ...listing });
    },
  });

  routes.add({
    method: 'post',
    path: '/data_pipeline/vector/restore',
    tag: 'vector',
    summary: '从备份集恢复向量表（全部成功或全部回滚）',
    body: VectorRestoreBody,
    success: {
      status: 200,
      description:
        'restore_results (rows_restored, rows_inserted, rows_updated, rows_skipped, rows_excluded, load_path), collections (name, uuid, target_name, target_uuid, action), truncate_results, backup_info, errors, duration, index_rebuilt [{table, index, seconds, source}], timings {data_online_seconds, index_ready_seconds}; dry_run: tables, collections, conflicts {count, first_ids, on_conflict, outcome}, rename_conflicts, would_truncate, would_create_tables, total_rows, total_bytes, estimated_duration_seconds; async: 202 job_id, status_url',
    },
    errors: [400, 404, 409, 422, 500, 503],
    handler: async ({ body, res }) => {
      if (body.dry_run === true) {
        sendSuccess(res, 200, 'Vector表恢复预演完成 (dry_run，未写入任何数据)', { ...(await services.vectorRestore.restore({ ...restoreRequestOf(body), signal: clientGoneSignal(res) })) });
        return;
      }
      if (body.async) return sendJobAccepted(res, await services.vectorJobs.enqueue('restore', body));
      const result = await services.vectorRestore.restore({ ...restoreRequestOf(body), signal: clientGoneSignal(res) });
      sendSuccess(res, 200, 'Vector表恢复完成', { ...result });
    },
  });

  registerBackupSetRoutes(routes, services);
}
