import { describe, expect, it } from 'vitest';
import { contentDisposition } from './content-disposition.js';

describe('contentDisposition', () => {
  it('plain ASCII names', () => {
    expect(contentDisposition('bss_company.ddl')).toBe(`attachment; filename="bss_company.ddl"; filename*=UTF-8''bss_company.ddl`);
  });

  it('non-ASCII names: ASCII fallback plus RFC 5987 UTF-8 name', () => {
    expect(contentDisposition('说明 (v1).md')).toBe(
      `attachment; filename="__ (v1).md"; filename*=UTF-8''%E8%AF%B4%E6%98%8E%20%28v1%29.md`,
    );
  });

  it('quotes and backslashes never break the quoted fallback', () => {
    expect(contentDisposition('a"b\\c.txt')).toBe(`attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`);
  });
});
