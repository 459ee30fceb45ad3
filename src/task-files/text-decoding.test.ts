import { describe, expect, it } from 'vitest';
import { decodeText, gbkCharacterCount, isTableListComment, renderTableList, splitTableNames } from './text-decoding.js';

/** `# 表清单` in GBK. */
const GBK_COMMENT = Buffer.from([0x23, 0x20, 0xb1, 0xed, 0xc7, 0xe5, 0xb5, 0xa5]);

describe('decodeText', () => {
  it('reads UTF-8 and drops a BOM', () => {
    expect(decodeText(Buffer.from('\uFEFF# 表清单\nbss_company\n', 'utf8'))).toEqual({ text: '# 表清单\nbss_company\n', encoding: 'utf-8' });
  });

  it('falls back to GBK', () => {
    expect(decodeText(Buffer.concat([GBK_COMMENT, Buffer.from('\nbss_company\n')]))).toEqual({
      text: '# 表清单\nbss_company\n',
      encoding: 'gbk',
    });
  });

  it('refuses binary: NUL bytes or bytes neither encoding accepts', () => {
    expect(decodeText(Buffer.from([0x61, 0x00, 0x62]))).toBeNull();
    expect(decodeText(Buffer.from([0xff, 0xff, 0xff]))).toBeNull();
    // Node's GBK decoder silently drops the 0xFF here and would return "ab".
    expect(decodeText(Buffer.from([0x61, 0xff, 0x62]))).toBeNull();
  });
});

describe('renderTableList', () => {
  it('writes the original header, a blank line and one name per line', () => {
    expect(renderTableList(['a', 'public.b'], new Date(2025, 6, 22, 1, 3, 18))).toBe(
      '# 表清单文件\n# 生成时间: 2025-07-22 01:03:18\n# 表数量: 2\n\na\npublic.b\n',
    );
  });
});

describe('splitTableNames', () => {
  it('splits strings and array items on commas and line breaks, trimming blanks', () => {
    expect(splitTableNames(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(splitTableNames(['a', ' b,c ', '', 'd\ne'])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(splitTableNames(' , ')).toEqual([]);
  });

  it('knows comments', () => {
    expect(isTableListComment('# x')).toBe(true);
    expect(isTableListComment('-- x')).toBe(true);
    expect(isTableListComment('a-b')).toBe(false);
  });
});

describe('gbkCharacterCount', () => {
  it('counts one- two- and four-byte characters', () => {
    expect(gbkCharacterCount(Buffer.from([0x61, 0x80, 0xb1, 0xed, 0x81, 0x30, 0x81, 0x30]))).toBe(4);
  });

  it('-1 for malformed input', () => {
    expect(gbkCharacterCount(Buffer.from([0xff]))).toBe(-1);
    expect(gbkCharacterCount(Buffer.from([0xb1]))).toBe(-1);
    expect(gbkCharacterCount(Buffer.from([0x81, 0x30, 0x81]))).toBe(-1);
  });
});
