import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  assertSafeUploadName,
  assertTableListExtension,
  assertUploadExtension,
  backupNameOf,
  extensionOf,
  parseDownloadName,
} from './task-dir.js';

describe('parseDownloadName', () => {
  it.each([
    ['bss_company.ddl', { subdir: null, name: 'bss_company.ddl' }],
    ['说明 文档.md', { subdir: null, name: '说明 文档.md' }],
    ['%2e%2e', { subdir: null, name: '%2e%2e' }],
    ['vector_bak/langchain_pg_collection_20250721_215758.csv', { subdir: 'vector_bak', name: 'langchain_pg_collection_20250721_215758.csv' }],
  ])('accepts %s', (input, expected) => {
    expect(parseDownloadName(input)).toEqual(expected);
  });

  it.each(['', '.', '..', '../x', '..\\x', '/etc/passwd', 'a/b', 'vector_bak/', 'vector_bak/..', 'vector_bak/a/b', 'file_bak_1/x', 'a\u0000b', 'a\nb'])(
    'refuses %j with a 400 naming file_name',
    (input) => {
      let error: unknown;
      try {
        parseDownloadName(input);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).invalidParams).toEqual(['file_name']);
      expect((error as ValidationError).message).toBe(`非法的文件路径: ${input}`);
    },
  );
});

describe('assertSafeUploadName', () => {
  it.each(['schema.sql', '说明.md', 'report 2025.csv', 'a-b_c.json', 'x'.repeat(236) + '.txt'])('accepts %s', (name) => {
    expect(() => assertSafeUploadName(name)).not.toThrow();
  });

  it.each([
    '../x.txt', '..\\x.txt', '/etc/x.txt', 'C:\\x.txt', 'a/b.txt', 'a\\b.txt', 'a..b.txt', '..', 'x<y.txt', 'x|y.txt', 'x?.txt',
    'x*.txt', 'x"y.txt', 'a:b.txt', 'CON.txt', 'nul.json', 'com1.sql', 'LPT9.md', 'a\u0001.txt', ' x.txt', 'x.txt ', '',
    'x'.repeat(237) + '.txt', '表'.repeat(80) + '.txt',
  ])('refuses %j', (name) => {
    expect(() => assertSafeUploadName(name)).toThrow(`文件名包含不安全字符: ${name}`);
  });
});

describe('extensions', () => {
  it('lower-cases the final extension', () => {
    expect(extensionOf('A.TXT')).toBe('.txt');
    expect(extensionOf('a.pair.json')).toBe('.json');
    expect(extensionOf('noext')).toBe('');
  });

  it('upload extensions: the original six, listed in the message', () => {
    for (const name of ['a.ddl', 'a.MD', 'a.txt', 'a.json', 'a.sql', 'a.csv']) expect(() => assertUploadExtension(name)).not.toThrow();
    expect(() => assertUploadExtension('a.exe')).toThrow('不支持的文件类型: .exe，允许的类型: .csv, .ddl, .json, .md, .sql, .txt');
    expect(() => assertUploadExtension('Makefile')).toThrow('不支持的文件类型: (无扩展名)');
  });

  it('table lists are .txt only', () => {
    expect(() => assertTableListExtension('tables.TXT')).not.toThrow();
    expect(() => assertTableListExtension('tables.csv')).toThrow('不支持的文件类型，仅支持: .txt');
  });

  it('backup copies are <name>_bak<N>', () => {
    expect(backupNameOf('a.sql', 3)).toBe('a.sql_bak3');
  });
});
