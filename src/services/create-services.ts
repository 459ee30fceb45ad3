import type { Config } from '../config.js';
import { createPipeline, type Pipeline } from '../pipeline/create-pipeline.js';
import type { Providers } from '../providers/create-providers.js';
import type { DatabaseRegistry } from '../db/database-registry.js';
import type { Logger } from '../logger.js';
import { BackupCatalog } from './backup-catalog.js';
import { DatabaseToolsService } from './database-tools.js';
import { LlmTableCommenter } from './llm-table-commenter.js';
import { CatalogTableCommenter } from './table-commenter.js';
import { TableInspector } from './table-inspector.js';
import { DataRoot } from './data-root.js';
import { HealthService } from './health-service.js';
import { VectorBackupService } from './vector-backup.js';
import { VectorRestoreService } from './vector-restore.js';

export interface Services {
  dataRoot: DataRoot;
  backupCatalog: BackupCatalog;
  vectorBackup: VectorBackupService;
  vectorRestore: VectorRestoreService;
  health: HealthService;
  databaseTools: DatabaseToolsService;
  pipeline: Pipeline;
  providers: Providers;
}

/** Wires every service once, at start-up (and once per test app). */
export function createServices(
  config: Pick<Config, 'dataPipelineRoot' | 'pipeline'>,
  databases: DatabaseRegistry,
  providers: Providers,
  logger: Logger,
  cwd: string = process.cwd(),
): Services {
  const dataRoot = new DataRoot(config.dataPipelineRoot, cwd);
  const backupCatalog = new BackupCatalog(dataRoot);
  const inspector = new TableInspector();
  return {
    dataRoot,
    backupCatalog,
    vectorBackup: new VectorBackupService(dataRoot, databases, logger),
    vectorRestore: new VectorRestoreService(dataRoot, backupCatalog, databases, logger),
    health: new HealthService(databases, dataRoot),
    databaseTools: new DatabaseToolsService(databases, inspector, {
      builtin: new CatalogTableCommenter(),
      llm: providers.llm ? new LlmTableCommenter(providers.llm) : null,
    }),
    pipeline: createPipeline(config, providers, inspector, databases.vector),
    providers,
  };
}
