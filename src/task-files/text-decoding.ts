import fs from 'node:fs/promises';
import { ERROR_TYPES, PayloadTooLargeError, ValidationError } from '../errors.js';
import { localDateTime } from '../lib/time.js';
import { parseTableList } from './table-list.js';

export type TextEncodingName = 'utf-8' | 'gbk';

export interface DecodedText {
  text: string;
  /** What the bytes were; the text is always stored back as UTF-8. */
  encoding: TextEncodingName;
}

/**
 * Decodes an uploaded text file: UTF-8 (a BOM is dropped), else GBK, as the original accepted.
 * Both decoders are strict, and a NUL byte means the file is not text at all, so binary uploads
 * are refused instead of being stored as mojibake. Null when neither encoding fits.
 */
export function decodeText(bytes: Uint8Array): DecodedText | null {
  let decoded: DecodedText | null = null;
  try {
    decoded = { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    try {
      const text = new TextDecoder('gbk', { fatal: true }).decode(bytes);
      // Node's ICU GBK decoder silently drops some bytes even in fatal mode (0xFF never throws);
      // a character count that does not match the byte structure means something was lost.
      if ([...text].length === gbkCharacterCount(bytes)) decoded = { text, encoding: 'gbk' };
    } catch {
      // Neither encoding.
    }
  }
  return decoded && !decoded.text.includes('\u0000') ? decoded : null;
}

/**
 * Characters a well-formed GBK/GB18030 byte string holds: ASCII and 0x80 are one byte, a lead byte
 * 0x81–0xFE takes a trail byte (0x40–0x7E, 0x80–0xFE) or three more (GB18030 four-byte form).
 * -1 when the bytes are not well-formed.
 */
export function gbkCharacterCount(bytes: Uint8Array): number {
  let count = 0;
  const inRange = (i: number, lo: number, hi: number) => i < bytes.length && bytes[i]! >= lo && bytes[i]! <= hi;
  for (let i = 0; i < bytes.length; count += 1) {
    const b = bytes[i]!;
    if (b <= 0x80) i += 1;
    else if (b === 0xff) return -1;
    else if (inRange(i + 1, 0x40, 0x7e) || inRange(i + 1, 0x80, 0xfe)) i += 2;
    else if (inRange(i + 1, 0x30, 0x39) && inRange(i + 2, 0x81, 0xfe) && inRange(i + 3, 0x30, 0x39)) i += 4;
    else return -1;
  }
  return count;
}

/** The original's `table_list.txt` layout: three header comments, a blank line, one name per line. */
export function renderTableList(tables: readonly string[], now: Date = new Date()): string {
  return ['# 表清单文件', `# 生成时间: ${localDateTime(now)}`, `# 表数量: ${tables.length}`, '', ...tables].join('\n') + '\n';
}

/**
 * Splits the table-list request input (comma-separated string or array of names) into trimmed,
 * non-blank items. Commas and line breaks inside array items split too, so every item is exactly
 * one line of the file the one table-list parser reads back.
 */
export function splitTableNames(input: string | readonly string[]): string[] {
  const items = typeof input === 'string' ? [input] : input;
  return items
    .flatMap((item) => item.split(/[,\r\n]/))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `#` and `--` lines are comments in a table list. */
export function isTableListComment(item: string): boolean {
  return item.startsWith('#') || item.startsWith('--');
}

/**
 * The content checks of an uploaded table list, with the one parser the pipeline uses: every name
 * is validated (the original looked at the first 10 only). Returns the valid, de-duplicated names.
 */
export function checkTableListText(text: string): string[] {
  const invalidFile = (message: string, details?: unknown) =>
    new ValidationError(message, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'], details });
  if (text.trim() === '') throw invalidFile('表清单文件为空');
  const parsed = parseTableList(text);
  if (parsed.invalid.length > 0) {
    const shown = parsed.invalid.slice(0, 3).map((i) => i.name);
    throw invalidFile(`表清单文件包含无效的表名格式: ${shown.join(', ')}`, parsed.invalid);
  }
  if (parsed.tables.length === 0) throw invalidFile('表清单文件不包含有效的表名');
  return parsed.tables;
}

/**
 * Reads an uploaded text file (a temp file the caller deletes): 413 `tooLarge` past `limit` bytes,
 * 400 `empty` when empty, 400 when it is neither UTF-8 nor GBK.
 */
export async function readTextUpload(
  tempFile: string,
  rules: { limit: number; tooLarge: string; empty: string },
): Promise<DecodedText> {
  const size = (await fs.stat(tempFile)).size;
  if (size > rules.limit) throw new PayloadTooLargeError(rules.tooLarge);
  if (size === 0) throw new ValidationError(rules.empty, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
  const decoded = decodeText(await fs.readFile(tempFile));
  if (!decoded) {
    throw new ValidationError('文件编码错误，请确保文件为UTF-8或GBK格式', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
  }
  return decoded;
}
