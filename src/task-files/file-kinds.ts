import { BACKUP_FILE_PATTERN, BACKUP_LOG_NAME } from '../backups/sets/set-naming.js';
import {
  BACKUP_COPY_PATTERN,
  DECISION_PROMPT_NAME,
  QUALITY_REPORT_NAME,
  extensionOf,
  FILE_MODIFICATIONS_LOG_PATTERN,
  FILENAME_MAPPING_NAME,
  METADATA_DETAIL_NAME,
  METADATA_SQL_NAME,
  OLD_PAIR_FILE_PATTERN,
  PAIR_FILE_PATTERN,
  ROTATED_TASK_LOG_PATTERN,
  SQL_VALIDATION_SUMMARY_PATTERN,
  stepResultPattern,
  TABLE_LIST_NAME,
  TASK_CONFIG_NAME,
  TASK_LOG_NAME,
  TASK_RESULT_NAME,
} from './task-dir.js';

const FILE_TYPES: Record<string, string> = {
  '.ddl': 'ddl',
  '.sql': 'sql',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.json': 'json',
  '.txt': 'text',
  '.log': 'log',
};

/** The original's `file_type`: by the lower-cased final suffix; `.ddl_1`, `.backup`, `.csv` … are `other`. */
export function fileTypeOf(name: string): string {
  return FILE_TYPES[extensionOf(name)] ?? 'other';
}

const EXACT_DESCRIPTIONS: Record<string, string> = {
  [TABLE_LIST_NAME]: '表清单',
  [TASK_LOG_NAME]: '任务执行日志',
  [TASK_CONFIG_NAME]: '任务配置',
  [TASK_RESULT_NAME]: '任务执行结果',
  [FILENAME_MAPPING_NAME]: '文件名映射',
  [METADATA_SQL_NAME]: '业务主题元数据',
  [METADATA_DETAIL_NAME]: '业务主题元数据说明',
  [DECISION_PROMPT_NAME]: '数据库查询决策提示词',
  [QUALITY_REPORT_NAME]: '训练数据质量报告',
  [BACKUP_LOG_NAME]: 'Vector表备份日志',
};

/** Ordered: the first matching rule names the file. */
const patternDescriptions = (stepNames: readonly string[]): [RegExp, string][] => [
  [PAIR_FILE_PATTERN, 'Question-SQL训练数据对'],
  [stepResultPattern(stepNames), '步骤执行结果'],
  [ROTATED_TASK_LOG_PATTERN, '任务执行日志（归档）'],
  [BACKUP_FILE_PATTERN, 'Vector表备份'],
  [OLD_PAIR_FILE_PATTERN, 'Question-SQL训练数据对（旧版本）'],
  [BACKUP_COPY_PATTERN, '上传前的备份'],
  [/^qs_intermediate_.*\.json$/, '问答生成中间结果'],
  [/^qs_recovery_.*\.json$/, '问答生成恢复文件'],
  [SQL_VALIDATION_SUMMARY_PATTERN, 'SQL验证报告'],
  [FILE_MODIFICATIONS_LOG_PATTERN, 'SQL修复修改记录'],
  [/\.ddl$/, 'DDL文件'],
  [/\.ddl_\d+$/, 'DDL文件（重复生成）'],
  [/_detail\.md$/, '表结构文档'],
  [/_detail\.md_\d+$/, '表结构文档（重复生成）'],
];

const DESCRIPTIONS_BY_TYPE: Record<string, string> = {
  sql: 'SQL文件',
  markdown: 'Markdown文档',
  json: 'JSON文件',
  text: '文本文件',
  log: '日志文件',
};

/** Gives a task file's documented `description`, in Chinese, by what the pipeline uses it for. */
export type DescribeFile = (name: string) => string;

/** The describer for a pipeline of `stepNames` (the task's steps, passed in: task-files knows none). */
export function fileDescriber(stepNames: readonly string[]): DescribeFile {
  const patterns = patternDescriptions(stepNames);
  return (name) => {
    const exact = EXACT_DESCRIPTIONS[name];
    if (exact) return exact;
    for (const [pattern, description] of patterns) {
      if (pattern.test(name)) return description;
    }
    if (extensionOf(name) === '.csv') return 'CSV数据文件';
    return DESCRIPTIONS_BY_TYPE[fileTypeOf(name)] ?? '其他文件';
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.markdown': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.ddl': 'application/sql; charset=utf-8',
  '.sql': 'application/sql; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.gz': 'application/gzip',
};

/** Content-Type of a download; rotated logs (`data_pipeline.log.1`) are still text. */
export function contentTypeOf(name: string): string {
  if (/\.log\.\d+$/.test(name)) return CONTENT_TYPES['.log']!;
  return CONTENT_TYPES[extensionOf(name)] ?? 'application/octet-stream';
}

/** `/api/v0/data_pipeline/tasks/<id>/files/<name>` (or `…/files/vector_bak/<name>`), each segment URL-encoded. */
export function downloadUrl(taskId: string, name: string, subdir: string | null = null): string {
  const segments = [...(subdir ? [subdir] : []), name].map(encodeURIComponent).join('/');
  return `/api/v0/data_pipeline/tasks/${encodeURIComponent(taskId)}/files/${segments}`;
}
