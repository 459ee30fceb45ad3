import { describe, expect, it } from 'vitest';
import { STEP_NAMES } from '../tasks/task-states.js';
import { contentTypeOf, downloadUrl, fileDescriber, fileTypeOf } from './file-kinds.js';

const describeFile = fileDescriber(STEP_NAMES);

describe('fileTypeOf (the original mapping)', () => {
  it.each([
    ['a.ddl', 'ddl'],
    ['a.SQL', 'sql'],
    ['a_detail.md', 'markdown'],
    ['a.markdown', 'markdown'],
    ['qs_x_pair.json', 'json'],
    ['table_list.txt', 'text'],
    ['data_pipeline.log', 'log'],
    ['a.ddl_1', 'other'],
    ['qs_x_pair.json.backup', 'other'],
    ['qs_x_pair.json_old', 'other'],
    ['langchain_pg_embedding_20250721_215758.csv', 'other'],
  ])('%s → %s', (name, type) => {
    expect(fileTypeOf(name)).toBe(type);
  });
});

describe('describeFile', () => {
  it.each([
    ['qs_highway_db_20250721_234914_pair.json', 'Question-SQL训练数据对'],
    ['data_pipeline.log', '任务执行日志'],
    ['data_pipeline.log.2', '任务执行日志（归档）'],
    ['bss_company.ddl', 'DDL文件'],
    ['bss_company_detail.md', '表结构文档'],
    ['task_config.json', '任务配置'],
    ['table_list.txt', '表清单'],
    ['ddl_generation_result.json', '步骤执行结果'],
    ['training_load_result.json', '步骤执行结果'],
    ['other_result.json', 'JSON文件'],
    ['qs_x_pair.json.backup_old', 'Question-SQL训练数据对（旧版本）'],
    ['qs_x_pair.json.backup', 'Question-SQL训练数据对（旧版本）'],
    ['notes.sql_bak2', '上传前的备份'],
    ['langchain_pg_collection_20250721_215758.csv', 'Vector表备份'],
    ['extra.csv', 'CSV数据文件'],
    ['notes.sql', 'SQL文件'],
    ['blob.bin', '其他文件'],
  ])('%s → %s', (name, description) => {
    expect(describeFile(name)).toBe(description);
  });
});

describe('contentTypeOf', () => {
  it.each([
    ['a.json', 'application/json; charset=utf-8'],
    ['a.md', 'text/markdown; charset=utf-8'],
    ['a.txt', 'text/plain; charset=utf-8'],
    ['data_pipeline.log.1', 'text/plain; charset=utf-8'],
    ['a.ddl', 'application/sql; charset=utf-8'],
    ['a.sql', 'application/sql; charset=utf-8'],
    ['a.csv', 'text/csv; charset=utf-8'],
    ['a.csv.gz', 'application/gzip'],
    ['a.ddl_1', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(contentTypeOf(name)).toBe(type);
  });
});

describe('downloadUrl', () => {
  it('encodes each segment', () => {
    expect(downloadUrl('task_1', '说明 文档.md')).toBe('/api/v0/data_pipeline/tasks/task_1/files/%E8%AF%B4%E6%98%8E%20%E6%96%87%E6%A1%A3.md');
    expect(downloadUrl('task_1', 'a.csv', 'vector_bak')).toBe('/api/v0/data_pipeline/tasks/task_1/files/vector_bak/a.csv');
  });
});
