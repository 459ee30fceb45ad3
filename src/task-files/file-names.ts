import path from 'node:path';
import { ERROR_TYPES, ValidationError } from '../errors.js';
import { BACKUP_DIR_NAME } from '../backups/set-naming.js';

/** Extensions the generic upload accepts (original `file_upload.allowed_extensions` of POST …/files). */
export const UPLOAD_EXTENSIONS = ['.csv', '.ddl', '.json', '.md', '.sql', '.txt'] as const;

/**
 * Longest accepted upload name, in UTF-8 bytes. The original allowed 255; `_bak<N>` copies (up to
 * `_bak1000`) must still fit in a 255-byte file-system name.
 */
export const MAX_UPLOAD_NAME_BYTES = 240;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const UNSAFE_UPLOAD_CHARS = /[<>:"|?*/\\]/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

/** A download target: a file directly in the task dir, or one in its `vector_bak/`. */
export interface DownloadName {
  subdir: typeof BACKUP_DIR_NAME | null;
  name: string;
}

/** NAME_MAX of the usual file systems: a longer name cannot exist, and asking for it is ENAMETOOLONG. */
const NAME_MAX_BYTES = 255;

function isPlainName(name: string): boolean {
  return (
    name.length > 0 &&
    Buffer.byteLength(name, 'utf8') <= NAME_MAX_BYTES &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('/') &&
    !name.includes('\\') &&
    !CONTROL_CHARS.test(name) &&
    !path.isAbsolute(name)
  );
}

/**
 * Parses the `file_name` of a download. Express has already percent-decoded it once, so `%2e%2e%2fx`
 * arrives as `../x` and is rejected here; the only sub-path allowed is `vector_bak/<plain name>`.
 */
export function parseDownloadName(fileName: string, paramName = 'file_name'): DownloadName {
  const slash = fileName.indexOf('/');
  const subdir = slash > 0 ? fileName.slice(0, slash) : null;
  const name = subdir === BACKUP_DIR_NAME ? fileName.slice(slash + 1) : fileName;
  if (!isPlainName(name)) {
    throw new ValidationError(`非法的文件路径: ${fileName}`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: [paramName] });
  }
  return { subdir: subdir === BACKUP_DIR_NAME ? BACKUP_DIR_NAME : null, name };
}

/**
 * The original's "safe file name" rule for uploads plus what it missed: path separators, absolute
 * paths and anything with `..` are refused instead of being joined onto the task directory.
 */
export function assertSafeUploadName(name: string, paramName = 'file'): void {
  const stem = name.split('.')[0] ?? '';
  const unsafe =
    !isPlainName(name) ||
    name.includes('..') ||
    UNSAFE_UPLOAD_CHARS.test(name) ||
    WINDOWS_RESERVED.test(stem) ||
    name.trim() !== name ||
    Buffer.byteLength(name, 'utf8') > MAX_UPLOAD_NAME_BYTES;
  if (unsafe) {
    throw new ValidationError(`文件名包含不安全字符: ${name}`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: [paramName] });
  }
}

/** Lower-cased final extension with its dot (`.txt`), or `''`. */
export function extensionOf(name: string): string {
  return path.extname(name).toLowerCase();
}

export function assertUploadExtension(name: string, paramName = 'file'): void {
  const ext = extensionOf(name);
  if (!(UPLOAD_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new ValidationError(
      `不支持的文件类型: ${ext || '(无扩展名)'}，允许的类型: ${UPLOAD_EXTENSIONS.join(', ')}`,
      ERROR_TYPES.INVALID_PARAMS,
      { invalidParams: [paramName] },
    );
  }
}

/** The table-list upload only takes `.txt` (judged by the client's file name, as the original). */
export function assertTableListExtension(name: string, paramName = 'file'): void {
  if (extensionOf(name) !== '.txt') {
    throw new ValidationError('不支持的文件类型，仅支持: .txt', ERROR_TYPES.INVALID_PARAMS, { invalidParams: [paramName] });
  }
}

/** `<name>_bak<N>`: the copy the `backup` overwrite mode keeps of the file it replaces. */
export function backupNameOf(name: string, version: number): string {
  return `${name}_bak${version}`;
}
