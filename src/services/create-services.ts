import type { Config } from '../config.js';
import type { DatabaseRegistry } from '../db/database-registry.js';
import type { Logger } from '../logger.js';
import { BackupCatalog } from './backup-catalog.js';
import { DataRoot } from './data-root.js';
import { HealthService } from './health-service.js';
import { VectorBackupService } from './vector-backup.js';
import { VectorRestoreService } from './vector-restore.js';

import { DatabaseToolsService } from './database-tools.js';
import { CatalogTableCommenter } from './table-commenter.js';
import { TableInspector } from './table-inspector.js';

export interface Services {
  dataRoot: DataRoot;
  backupCatalog: BackupCatalog;
  vectorBackup: VectorBackupService;
  vectorRestore: VectorRestoreService;
  health: HealthService;
  databaseTools: DatabaseToolsService;
}

/** Wires every service once, at start-up (and once per test app). */
export function createServices(
  config: Pick<Config, 'dataPipelineRoot'>,
  databases: DatabaseRegistry,
  logger: Logger,
  cwd: string = process.cwd(),
): Services {
  const dataRoot = new DataRoot(config.dataPipelineRoot, cwd);
  const backupCatalog = new BackupCatalog(dataRoot);
  return {
    dataRoot,
    backupCatalog,
    vectorBackup: new VectorBackupService(dataRoot, databases, logger),
    vectorRestore: new VectorRestoreService(dataRoot, backupCatalog, databases, logger),
    health: new HealthService(databases, dataRoot),
    databaseTools: new DatabaseToolsService(databases, new TableInspector(), { builtin: new CatalogTableCommenter(), llm: null }),
  };
}
