import { z } from 'zod';

const text = (name: string) => z.string({ error: `参数 ${name} 必须是字符串` });

export const TableListBody = z.object({
  db_connection: text('db_connection').min(1).optional().describe('业务数据库连接串，默认 BUSINESS_DATABASE_URL'),
  schema: text('schema').optional().describe('Schema 名称，多个用逗号分隔，默认 public'),
  table_name_pattern: text('table_name_pattern').optional().describe('表名模式，* 匹配任意字符（_ 与 % 按字面匹配）'),
});

export const TableDocumentBody = z.object({
  table: text('table').min(1).describe('表名，可带 schema：public.bss_company'),
  db_connection: text('db_connection').min(1).optional().describe('业务数据库连接串，默认 BUSINESS_DATABASE_URL'),
  business_context: text('business_context').optional().describe('业务背景；配置了 LLM 时据此生成注释'),
  type: z
    .enum(['ddl', 'md', 'both'], { error: '参数 type 无效，必须是 ddl、md 或 both' })
    .default('ddl')
    .describe('输出类型'),
});
