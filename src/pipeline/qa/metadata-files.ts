import type { Theme } from './qa-types.js';
import { sqlString } from './sql-alias.js';

const textArray = (values: string[]) => `ARRAY[${values.map(sqlString).join(', ')}]::text[]`;

/** `metadata.txt`: the original's layout, but array columns get real array literals (it ran as SQL). */
export function renderMetadataSql(themes: Theme[], businessContext: string, database: string, generatedAt: string): string {
  const lines = [
    '-- Schema Tools生成的主题元数据',
    `-- 业务背景: ${businessContext}`,
    `-- 生成时间: ${generatedAt}`,
    `-- 数据库: ${database}`,
    '',
    '-- 创建表（如果不存在）',
    'CREATE TABLE IF NOT EXISTS metadata (',
    '    id SERIAL PRIMARY KEY,    -- 主键',
    '    topic_name VARCHAR(100) NOT NULL,  -- 业务主题名称',
    '    description TEXT,                  -- 业务主体说明',
    '    related_tables TEXT[],             -- 相关表名',
    '    biz_entities TEXT[],               -- 主要业务实体名称',
    '    biz_metrics TEXT[],                -- 主要业务指标名称',
    '    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP    -- 插入时间',
    ');',
    '',
    '-- 插入主题数据',
  ];
  for (const theme of themes) {
    lines.push(
      'INSERT INTO metadata(topic_name, description, related_tables, biz_entities, biz_metrics) VALUES',
      '(',
      `  ${sqlString(theme.topic_name)},`,
      `  ${sqlString(theme.description)},`,
      `  ${textArray(theme.related_tables)},`,
      `  ${textArray(theme.biz_entities)},`,
      `  ${textArray(theme.biz_metrics)}`,
      ');',
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `metadata_detail.md`: the documentation of the metadata table, with examples from the themes. */
export function renderMetadataDetail(themes: Theme[]): string {
  const sample = (pick: (t: Theme) => string[]) => [...new Set(themes.flatMap(pick))].slice(0, 3).join(', ');
  return `${[
    '## metadata（存储分析主题元数据）',
    '',
    '`metadata` 主要描述了当前数据库包含了哪些数据内容，哪些分析主题，哪些指标等等。',
    '',
    '字段列表：',
    '',
    '- `id` (serial) - 主键ID [主键, 非空]',
    '- `topic_name` (varchar(100)) - 业务主题名称 [非空]',
    '- `description` (text) - 业务主题说明',
    `- \`related_tables\` (text[]) - 涉及的数据表 [示例: ${sample((t) => t.related_tables)}]`,
    `- \`biz_entities\` (text[]) - 主要业务实体名称 [示例: ${sample((t) => t.biz_entities)}]`,
    `- \`biz_metrics\` (text[]) - 主要业务指标名称 [示例: ${sample((t) => t.biz_metrics)}]`,
    '- `created_at` (timestamp) - 插入时间 [默认值: `CURRENT_TIMESTAMP`]',
    '',
    '字段补充说明：',
    '',
    '- `id` 为主键，自增；',
    '- `related_tables` 用于建立主题与具体明细表的依赖关系；',
    '- `biz_entities` 表示主题关注的核心对象，例如服务区、车辆、公司；',
    '- `biz_metrics` 表示该主题关注的业务分析指标，例如营收对比、趋势变化、占比结构等。',
  ].join('\n')}\n`;
}
