import { ERROR_TYPES, UnprocessableError, ValidationError } from '../../errors.js';
import type { TableColumn } from '../langchain-tables.js';
import type { TableLoadPlan } from '../restore/restore-plan.js';
import type { BackupFormat } from '../sets/set-naming.js';

/**
 * Binary COPY needs `COPY … TO/FROM STDIN (FORMAT binary)` on a server connection; the embedded
 * database's emulated COPY moves CSV only. Refused up front with a 400 naming `format`, before any
 * file is written or any row loaded.
 */
export function assertFormatAvailable(format: BackupFormat | undefined, embedded: boolean, what: 'backup' | 'restore'): void {
  if (format !== 'binary' || !embedded) return;
  const message =
    what === 'backup'
      ? '内嵌数据库模式 (未设置 DATABASE_URL) 不支持 format: "binary" 备份，请使用 format: "csv"'
      : '该备份集为 binary 格式 (format: "binary")，内嵌数据库模式 (未设置 DATABASE_URL) 无法恢复；请在 PostgreSQL 上恢复，或使用 CSV 备份集';
  throw new ValidationError(message, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['format'] });
}

/**
 * A binary set whose collections would need filtering or remapping (selection, renames, a name
 * match with another UUID): binary rows carry no text to rewrite in the stream. The restore and its
 * dry run refuse alike, so a dry run never promises what the restore would refuse.
 */
export function binaryRemapRefused(file: string): UnprocessableError {
  return new UnprocessableError(
    `备份文件 ${file} 是 binary 格式，无法在加载时筛选或重映射集合 (include/exclude、collection_suffix/collection_renames，或同名集合的 UUID 不同)；请使用 CSV 格式的备份集`,
    ERROR_TYPES.VECTOR_RESTORE_FAILED,
  );
}

/**
 * The load of a binary COPY file: its values are typed by the source's columns, which the server
 * reads with each target column's binary input function, so every column the set holds must exist
 * in the target with the same type (422 naming the first that differs). A target column without a
 * modifier takes any modifier of its type (`vector` takes `vector(1024)`, as the server's input
 * does); the reverse is refused (`vector(9)` never takes `vector(8)`).
 */
export function planBinaryLoad(
  fileName: string,
  setColumns: readonly { name: string; type: string }[],
  target: readonly TableColumn[],
): TableLoadPlan {
  const writable = new Map(target.filter((c) => !c.generated).map((c) => [c.name, c]));
  for (const column of setColumns) {
    const found = writable.get(column.name);
    if (!found || !sameType(column.type, found.dataType)) {
      const actual = found?.dataType ?? null;
      throw new UnprocessableError(
        `备份文件 ${fileName} 是 binary 格式，列 ${column.name} 的类型与目标表不一致 (备份集 ${column.type}，目标表 ${actual ?? '不存在该列'})，无法按二进制恢复`,
        ERROR_TYPES.COLUMN_TYPE_MISMATCH,
        { details: { column: column.name, expected_type: column.type, actual_type: actual } },
      );
    }
  }
  const names = setColumns.map((c) => c.name);
  const missing = [...writable.values()].filter((c) => c.notNull && !c.hasDefault && !names.includes(c.name));
  if (missing.length > 0) {
    throw new UnprocessableError(
      `备份文件 ${fileName} 缺少目标表的必填列: ${missing.map((c) => c.name).join(', ')}`,
      ERROR_TYPES.VECTOR_RESTORE_FAILED,
      { details: { column: missing[0]!.name } },
    );
  }
  return { columns: names, transform: null, slowTransform: (record) => record, reason: 'raw' };
}

function sameType(source: string, target: string): boolean {
  if (source === target) return true;
  return !target.includes('(') && source.replace(/\(\d+(,\d+)?\)/, '') === target;
}
