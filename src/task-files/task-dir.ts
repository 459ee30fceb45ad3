import path from 'node:path';
import { ERROR_TYPES, ValidationError } from '../errors.js';
import { BACKUP_DIR_NAME } from '../backups/sets/set-naming.js';

/**
 * Every name and pattern of a task directory: what the pipeline writes, what the listing
 * describes, what uploads and downloads may name. The vector backup sets in its `vector_bak/` are
 * named by backups/set-naming.ts (the global `vector_bak/` uses the same names).
 */

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---- what the pipeline writes ---------------------------------------------------------------

export const TABLE_LIST_NAME = 'table_list.txt';
/** The task log (TaskLog writes it, the log routes read it); rotated copies end in `.<N>`. */
export const TASK_LOG_NAME = 'data_pipeline.log';
export const ROTATED_TASK_LOG_PATTERN = new RegExp(`^${escapeRegExp(TASK_LOG_NAME)}\\.\\d+$`);
/** The parameters of the task's last execution, and the outcome of its last complete run. */
export const TASK_CONFIG_NAME = 'task_config.json';
export const TASK_RESULT_NAME = 'task_result.json';

/** ddl_generation: which table went to which `<base>.ddl` / `<base>_detail.md`. */
export const FILENAME_MAPPING_NAME = 'filename_mapping.txt';

/** Step 1's two files per table: `<base>.ddl` (runnable DDL) and `<base>_detail.md` (its documentation). */
export const DDL_SUFFIX = '.ddl';
export const TABLE_DOC_SUFFIX = '_detail.md';
export function ddlFileName(base: string): string {
  return `${base}${DDL_SUFFIX}`;
}
export function tableDocFileName(base: string): string {
  return `${base}${TABLE_DOC_SUFFIX}`;
}
/** qa_generation's theme metadata: as SQL, as a document, and the query-decision prompt. */
export const METADATA_SQL_NAME = 'metadata.txt';
export const METADATA_DETAIL_NAME = 'metadata_detail.md';
export const DECISION_PROMPT_NAME = 'db_query_decision_prompt.txt';
/** The training-data quality report of the last qa_generation / sql_validation run. */
export const QUALITY_REPORT_NAME = 'qa_quality_report.json';

/** sql_validation's report of one run, and its record of the pair-file rewrite. */
export function sqlValidationSummaryName(timestamp: string): string {
  return `sql_validation_${timestamp}_summary.log`;
}
export const SQL_VALIDATION_SUMMARY_PATTERN = /^sql_validation_.*_summary\.log$/;

export function fileModificationsLogName(timestamp: string): string {
  return `file_modifications_${timestamp}.log`;
}
export const FILE_MODIFICATIONS_LOG_PATTERN = /^file_modifications_.*\.log$/;

/** `<step>_result.json`: what one step reports about its last run. */
export function stepResultFile(taskDir: string, step: string): string {
  return path.join(taskDir, `${step}_result.json`);
}

/** Matches the result file of any of `stepNames` (the caller's step list: task-files knows no steps). */
export function stepResultPattern(stepNames: readonly string[]): RegExp {
  return new RegExp(`^(${stepNames.map(escapeRegExp).join('|')})_result\\.json$`);
}

/** The question/SQL pair file of a qa_generation run; the newest one is the task's primary output. */
export const PAIR_FILE_SUFFIX = '_pair.json';
/** `qs_<db>_<YYYYMMDD_HHMMSS>_pair.json` (older generations end in `_old` or `.backup`, and do not match). */
export const PAIR_FILE_PATTERN = new RegExp(`${escapeRegExp(PAIR_FILE_SUFFIX)}$`);
/** The copy sql_validation keeps before it first rewrites a pair file. */
export const PAIR_BACKUP_SUFFIX = '.backup';
/** What a retired generation is renamed to (`…_pair.json_old`, `…_pair.json.backup_old`). */
export const OLD_GENERATION_SUFFIX = '_old';
export const OLD_PAIR_FILE_PATTERN = new RegExp(
  `${escapeRegExp(PAIR_FILE_SUFFIX)}(${escapeRegExp(PAIR_BACKUP_SUFFIX)}|${escapeRegExp(OLD_GENERATION_SUFFIX)}|${escapeRegExp(PAIR_BACKUP_SUFFIX + OLD_GENERATION_SUFFIX)})$`,
);

export function pairFileName(database: string, timestamp: string): string {
  return `qs_${database}_${timestamp}${PAIR_FILE_SUFFIX}`;
}

/** `file_bak_<ts>[_N]/`: where a complete run moves the previous run's files, with an info file. */
export const PREVIOUS_RUN_DIR_PREFIX = 'file_bak_';
export const PREVIOUS_RUN_DIR_PATTERN = new RegExp(`^${escapeRegExp(PREVIOUS_RUN_DIR_PREFIX)}`);
export const PREVIOUS_RUN_INFO_NAME = 'backup_info.json';

export function previousRunDirName(timestamp: string, n = 0): string {
  return `${PREVIOUS_RUN_DIR_PREFIX}${timestamp}${n === 0 ? '' : `_${n}`}`;
}

// ---- uploads and downloads ------------------------------------------------------------------

/** Extensions the generic upload accepts (original `file_upload.allowed_extensions` of POST …/files). */
export const UPLOAD_EXTENSIONS = ['.csv', '.ddl', '.json', '.md', '.sql', '.txt'] as const;

/**
 * Longest accepted upload name, in UTF-8 bytes. The original allowed 255; `_bak<N>` copies (up to
 * `_bak1000`) must still fit in a 255-byte file-system name.
 */
export const MAX_UPLOAD_NAME_BYTES = 240;

/** `<name>_bak<N>`: the copy the `backup` overwrite mode keeps of the file it replaces. */
export function backupNameOf(name: string, version: number): string {
  return `${name}_bak${version}`;
}

export const BACKUP_COPY_PATTERN = /_bak\d+$/;

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
