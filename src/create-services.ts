import type { Config } from './config.js';
import type { DatabaseRegistry } from './db/database-registry.js';
import { JobRunner } from './jobs/job-runner.js';
import { TaskExecution } from './jobs/handlers/task-execution.js';
import { VectorBackupJob } from './jobs/handlers/backup-job.js';
import { VectorRestoreJob } from './jobs/handlers/restore-job.js';
import { VectorVerifyJob } from './jobs/handlers/verify-job.js';
import { VectorJobService } from './jobs/vector-job-service.js';
import { VectorJobPreflight } from './jobs/vector-job-preflight.js';
import { BackupScheduleService } from './jobs/backup-schedule-service.js';
import { ScheduleRunner } from './jobs/schedule-runner.js';
import { WebhookNotifier } from './jobs/webhook-notifier.js';
import type { Logger } from './logger.js';
import { createPipeline, type Pipeline } from './pipeline/create-pipeline.js';
import type { Providers } from './providers/create-providers.js';
import { BackupCatalog } from './backups/sets/backup-catalog.js';
import { DatabaseToolsService } from './introspection/database-tools.js';
import { DataRoot } from './lib/data-root.js';
import { HealthService } from './health-service.js';
import { LlmTableCommenter } from './introspection/llm-table-commenter.js';
import { FileService } from './task-files/task-file-service.js';
import { TableListService } from './task-files/table-list-service.js';
import { findTaskIn, TaskLookup } from './task-files/task-lookup.js';
import { LogService } from './tasks/task-log-service.js';
import { CatalogTableCommenter } from './introspection/table-commenter.js';
import { TableInspector } from './introspection/table-inspector.js';
import { TaskDeletion } from './tasks/task-deletion.js';
import { TaskService } from './tasks/task-service.js';
import { STEP_NAMES } from './tasks/task-states.js';
import { VectorBackupService } from './backups/backup-service.js';
import { VectorRestoreService } from './backups/restore/restore-service.js';
import { BackupEstimator } from './backups/backup-estimate.js';
import { DurationEstimator } from './backups/duration-estimate.js';
import { BackupRetention } from './backups/sets/retention.js';
import { BackupVerifier } from './backups/sets/backup-verifier.js';
import { BackupSetDownload } from './backups/sets/set-download.js';
import { BackupSetUpload } from './backups/sets/set-upload.js';
import { BackupLeftoverSweep } from './backups/sets/leftover-sweep.js';
import { Metrics } from './metrics/metrics.js';
import { BackupStats } from './metrics/backup-stats.js';
import type { BackupStore } from './backups/stores/backup-store.js';
import { createBackupStore } from './backups/stores/create-backup-store.js';

export interface Services {
  dataRoot: DataRoot;
  /** Where backup sets live: the data root or S3 (BACKUP_STORAGE). */
  backupStore: BackupStore;
  backupCatalog: BackupCatalog;
  vectorBackup: VectorBackupService;
  vectorRestore: VectorRestoreService;
  backupEstimator: BackupEstimator;
  backupVerifier: BackupVerifier;
  backupRetention: BackupRetention;
  /** Download / upload of a set as one tar (SPEC §7 "Formats and files"). */
  backupDownload: BackupSetDownload;
  backupUpload: BackupSetUpload;
  /** Removes what backups killed mid-write left in the store; run by main.ts at start-up. */
  backupLeftoverSweep: BackupLeftoverSweep;
  /** Async backup / restore / verify jobs: enqueue, status, progress, cancel. */
  vectorJobs: VectorJobService;
  health: HealthService;
  databaseTools: DatabaseToolsService;
  pipeline: Pipeline;
  providers: Providers;
  taskLookup: TaskLookup;
  tasks: TaskService;
  taskDeletion: TaskDeletion;
  logs: LogService;
  files: FileService;
  tableLists: TableListService;
  /** Built here, started by main.ts (or a test) once the server listens. */
  jobRunner: JobRunner;
  /** Posts vector job ends to WEBHOOK_URL; null when it is unset. */
  webhook: WebhookNotifier | null;
  /** Backup schedules (SPEC §7 "Schedules"): create, list, delete. */
  backupSchedules: BackupScheduleService;
  /** Fires due schedules as backup jobs; started and stopped with jobRunner. */
  scheduleRunner: ScheduleRunner;
  /** Prometheus metrics of this server (its own registry), served at GET /metrics. */
  metrics: Metrics;
}

/** SPEC §7: a running job's progress reaches its row at least this often while it changes, ms. */
const JOB_PROGRESS_MS = 250;
/** How often due backup schedules are looked for: a cron's resolution is one second. */
const SCHEDULE_TICK_MS = 1000;
/** A metrics scrape reuses a backup-catalog scan this young, ms (scrapers poll every 5–60 s). */
const BACKUP_STATS_CACHE_MS = 5000;

/** Wires every service once, at start-up (and once per test app). */
export function createServices(
  config: Pick<Config, 'dataPipelineRoot' | 'pipeline' | 'worker' | 'uploads' | 'databaseUrl' | 'lockTimeoutMs' | 'indexRebuild' | 'webhookUrl' | 'backupStorage'>,
  databases: DatabaseRegistry,
  providers: Providers,
  logger: Logger,
  cwd: string = process.cwd(),
): Services {
  const dataRoot = new DataRoot(config.dataPipelineRoot, cwd);
  const findTask = findTaskIn(databases.app);
  const backupStore = createBackupStore(config.backupStorage, dataRoot, async (taskId) => (await findTask(taskId)) !== undefined);
  const backupCatalog = new BackupCatalog(dataRoot, backupStore);
  const backupStats = new BackupStats(backupCatalog, backupStore, BACKUP_STATS_CACHE_MS);
  const metrics = new Metrics({ appPool: databases.app, backupStats: () => backupStats.read() });
  const inspector = new TableInspector();
  const vectorBackup = new VectorBackupService(dataRoot, databases, logger, { lockTimeoutMs: config.lockTimeoutMs }, undefined, backupStore);
  const pipeline = createPipeline(config, providers, inspector, databases.vector);
  const vectorRestore = new VectorRestoreService(backupCatalog, databases, logger, {
    lockTimeoutMs: config.lockTimeoutMs,
    indexRebuild: config.indexRebuild,
  });
  const execution = new TaskExecution(databases.app, databases, dataRoot, pipeline, vectorBackup, { logger, metrics });
  const backupVerifier = new BackupVerifier(backupStore);
  const handlers = [execution, new VectorBackupJob(vectorBackup), new VectorRestoreJob(vectorRestore), new VectorVerifyJob(backupVerifier)];
  const webhook = config.webhookUrl ? new WebhookNotifier({ url: config.webhookUrl }, logger) : null;
  const jobRunner = new JobRunner(databases.appControl, handlers, logger, {
    workerId: config.worker.id,
    concurrency: config.worker.concurrency,
    pollIntervalMs: config.worker.pollIntervalMs,
    heartbeatMs: config.worker.heartbeatMs,
    staleSeconds: config.worker.staleSeconds,
    progressMs: JOB_PROGRESS_MS,
    exclusive: databases.isEmbedded(databases.app),
    listenUrl: databases.isEmbedded(databases.app) ? null : config.databaseUrl,
    onJobEnd: (job) => {
      metrics.jobEnded(job);
      webhook?.jobEnded(job);
    },
  });
  const taskLookup = new TaskLookup(dataRoot, findTask);
  const tableListBytes = config.uploads.tableListBytes;
  const vectorJobs = new VectorJobService(databases.app, jobRunner, new VectorJobPreflight(backupCatalog, databases));
  const tasks = new TaskService(databases.app, databases, dataRoot, taskLookup, jobRunner, { tableListBytes }, cwd);
  return {
    dataRoot,
    backupStore,
    backupCatalog,
    vectorBackup,
    vectorRestore,
    backupEstimator: new BackupEstimator(backupStore, databases, new DurationEstimator(databases.app)),
    backupVerifier,
    backupRetention: new BackupRetention(backupStore),
    backupDownload: new BackupSetDownload(backupStore),
    // The upload checks staged files exactly as verify checks a set.
    backupUpload: new BackupSetUpload(dataRoot, backupVerifier, backupStore, databases),
    backupLeftoverSweep: new BackupLeftoverSweep(backupStore, databases, logger),
    vectorJobs,
    health: new HealthService(databases, dataRoot, backupStore),
    databaseTools: new DatabaseToolsService(databases, inspector, {
      builtin: new CatalogTableCommenter(),
      llm: providers.llm ? new LlmTableCommenter(providers.llm) : null,
    }),
    pipeline,
    providers,
    taskLookup,
    tasks,
    logs: new LogService(dataRoot, taskLookup),
    files: new FileService(dataRoot, taskLookup, backupCatalog, { tableListBytes, uploadBytes: config.uploads.maxBytes }, STEP_NAMES),
    tableLists: new TableListService(dataRoot, taskLookup, { tableListBytes }),
    taskDeletion: new TaskDeletion(databases.app, dataRoot),
    jobRunner,
    webhook,
    backupSchedules: new BackupScheduleService(databases.app),
    metrics,
    scheduleRunner: new ScheduleRunner(databases.app, vectorJobs, logger, { tickMs: SCHEDULE_TICK_MS }),
  };
}
