import { clientGoneSignal } from '../http/client-gone.js';
import { sendSuccess } from '../http/envelope.js';
import type { RouteRegistry } from '../http/route-registry.js';
import type { Services } from '../create-services.js';
import { TableDocumentBody, TableListBody } from './database.schemas.js';

export function registerDatabaseRoutes(routes: RouteRegistry, services: Services): void {
  routes.add({
    method: 'post',
    path: '/database/tables',
    tag: 'database',
    summary: '获取业务数据库的表列表',
    body: TableListBody,
    success: { status: 200, description: 'tables, total, schemas, table_name_pattern, db_connection_info' },
    errors: [400, 503],
    handler: async ({ body, res }) => {
      const result = await services.databaseTools.listTables({
        dbConnection: body.db_connection,
        schema: body.schema,
        tableNamePattern: body.table_name_pattern,
      });
      sendSuccess(res, 200, '获取表列表成功', result);
    },
  });

  routes.add({
    method: 'post',
    path: '/database/table/ddl',
    tag: 'database',
    summary: '获取单表的 DDL / Markdown 文档',
    body: TableDocumentBody,
    missingMessagePrefix: '缺少必需参数：',
    success: { status: 200, description: 'ddl, md, table_info, fields, generation_info' },
    errors: [400, 404, 503],
    handler: async ({ body, res }) => {
      const result = await services.databaseTools.tableDocument({
        table: body.table,
        dbConnection: body.db_connection,
        businessContext: body.business_context,
        type: body.type,
        signal: clientGoneSignal(res),
      });
      sendSuccess(res, 200, `获取表${body.type.toUpperCase()}成功`, result);
    },
  });
}
