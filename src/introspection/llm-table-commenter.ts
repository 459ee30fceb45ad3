import type { LlmProvider } from '../providers/types.js';
import type { TableCommenter } from './table-commenter.js';
import type { TableComments } from './table-docs.js';
import type { TableDescription } from './table-inspector.js';

interface CommentReply {
  table_comment?: unknown;
  fields?: { name?: unknown; comment?: unknown; is_enum?: unknown }[];
}

const SYSTEM = '你是一名资深数据库文档专家，擅长根据表结构与样例数据为 PostgreSQL 表和字段撰写准确、简洁的中文注释。只输出要求的 JSON。';

/**
 * LLM comments for a table and its fields, mapped back by column name (the original mapped by
 * position). Enum flags are only accepted where SQL confirmed the values (the inspector's
 * enum detection), so an LLM guess never invents enum values.
 */
export class LlmTableCommenter implements TableCommenter {
  readonly provider: string;

  constructor(private readonly llm: LlmProvider) {
    this.provider = `${llm.name}:${llm.model}`;
  }

  async comment(table: TableDescription, businessContext: string, signal?: AbortSignal): Promise<TableComments> {
    const fields = table.columns.map((c) => ({
      name: c.name,
      type: c.formatted_type,
      existing_comment: c.comment,
      samples: c.samples.slice(0, 3),
      distinct_values: c.enumValues,
    }));
    const prompt = [
      `业务背景: ${businessContext || '数据库管理系统'}`,
      `表: ${table.schema}.${table.name} (约 ${table.rowCount} 行)`,
      `现有表注释: ${table.comment ?? '无'}`,
      `字段 (JSON): ${JSON.stringify(fields)}`,
      '',
      '请返回 JSON: {"table_comment": "不超过50字的中文表注释", "fields": [{"name": "字段名(原样)", "comment": "不超过15字的中文字段注释", "is_enum": true|false}]}',
      '要求: fields 覆盖全部字段且 name 与输入一致；已有注释准确时可沿用；不要编造业务含义。',
    ].join('\n');
    const reply = await this.llm.chatJson<CommentReply>(
      [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: prompt },
      ],
      { signal },
    );
    const columns = new Map<string, string>();
    const enums = new Map<string, string[]>();
    const known = new Map(table.columns.map((c) => [c.name, c]));
    for (const field of Array.isArray(reply.fields) ? reply.fields : []) {
      const column = typeof field?.name === 'string' ? known.get(field.name) : undefined;
      if (!column) continue;
      if (typeof field.comment === 'string' && field.comment.trim()) columns.set(column.name, field.comment.trim().slice(0, 100));
      if (field.is_enum === true && column.enumValues) enums.set(column.name, column.enumValues);
    }
    const tableComment = typeof reply.table_comment === 'string' && reply.table_comment.trim() ? reply.table_comment.trim().slice(0, 200) : table.comment;
    return { table: tableComment, columns, enums };
  }
}
