import type { DatabaseRegistry } from '../db/database-registry.js';
import type { Pool } from '../db/pool.js';
import { connectionFailureError } from '../error-map.js';
import type { TableCommenter } from './table-commenter.js';
import { renderDdl, renderMarkdown } from './table-docs.js';
import type { TableInspector } from './table-inspector.js';

export type DocumentType = 'ddl' | 'md' | 'both';

export interface TableListRequest {
  dbConnection?: string;
  /** Comma-separated schema names; empty → public. */
  schema?: string;
  tableNamePattern?: string;
}

export interface TableDocumentRequest {
  table: string;
  dbConnection?: string;
  businessContext?: string;
  type: DocumentType;
  signal?: AbortSignal;
}

/** The two database tool routes (reference §3.1–3.2): table lists and one table's DDL/Markdown. */
export class DatabaseToolsService {
  constructor(
    private readonly databases: DatabaseRegistry,
    private readonly inspector: TableInspector,
    private readonly commenters: { builtin: TableCommenter; llm: TableCommenter | null },
  ) {}

  async listTables(request: TableListRequest) {
    using business = this.databases.businessDatabase(request.dbConnection);
    const { pool, database, callerParam } = business;
    return await this.claimConnectionFailure(callerParam, () => this.tableList(pool, database, request));
  }

  async tableDocument(request: TableDocumentRequest) {
    using business = this.databases.businessDatabase(request.dbConnection);
    const { pool, database, callerParam } = business;
    return await this.claimConnectionFailure(callerParam, () => this.document(pool, database, request));
  }

  /**
   * A refused connection with the caller's `db_connection` is their 400 (SPEC §3); the error
   * handler alone would report it as the server's 503.
   */
  private async claimConnectionFailure<T>(callerParam: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw connectionFailureError(err, callerParam) ?? err;
    }
  }

  private async tableList(pool: Pool, database: string, request: TableListRequest) {
    const schemas = parseSchemas(request.schema);
    const tables = await this.inspector.listTables(pool, schemas, request.tableNamePattern);
    return {
      tables,
      total: tables.length,
      schemas,
      ...(request.tableNamePattern ? { table_name_pattern: request.tableNamePattern } : {}),
      db_connection_info: { database },
    };
  }

  private async document(pool: Pool, database: string, request: TableDocumentRequest) {
    const [schema, name] = splitTableName(request.table);
    const table = await this.inspector.describeTable(pool, schema, name);
    // LLM comments only when an LLM is configured and the caller gave a business context (SPEC §6).
    const businessContext = request.businessContext?.trim() ?? '';
    const commenter = businessContext && this.commenters.llm ? this.commenters.llm : this.commenters.builtin;
    const comments = await commenter.comment(table, businessContext, request.signal);
    const enums = (column: (typeof table.columns)[number]) => comments.enums?.get(column.name) ?? column.enumValues;
    return {
      ...(request.type !== 'md' ? { ddl: renderDdl(table, comments) } : {}),
      ...(request.type !== 'ddl' ? { md: renderMarkdown(table, comments) } : {}),
      table_info: {
        table_name: table.name,
        schema_name: table.schema,
        full_name: `${table.schema}.${table.name}`,
        comment: comments.table ?? table.comment,
        field_count: table.columns.length,
        row_count: table.rowCount,
        row_count_exact: table.rowCountExact,
        table_size: table.tableSize,
      },
      // Both the original's field names and the documented ones (reference §13).
      fields: table.columns.map((column) => ({
        name: column.name,
        column_name: column.name,
        type: column.data_type,
        data_type: column.data_type,
        max_length: column.max_length,
        nullable: column.nullable,
        is_nullable: column.nullable,
        comment: comments.columns.get(column.name) ?? column.comment,
        is_primary_key: column.is_primary_key,
        is_foreign_key: column.is_foreign_key,
        default_value: column.column_default,
        is_enum: enums(column) !== null,
        enum_values: enums(column),
      })),
      generation_info: {
        business_context: businessContext,
        output_type: request.type,
        has_llm_comments: commenter !== this.commenters.builtin,
        comment_provider: commenter.provider,
        database,
      },
    };
  }
}

export function parseSchemas(schema: string | undefined): string[] {
  const list = (schema ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length > 0 ? [...new Set(list)] : ['public'];
}

/** `public.bss_company` → [public, bss_company]; `bss_company` → [public, bss_company]. */
export function splitTableName(table: string): [string, string] {
  const dot = table.indexOf('.');
  return dot < 0 ? ['public', table.trim()] : [table.slice(0, dot).trim(), table.slice(dot + 1).trim()];
}
