import { fromPgError } from '../../error-map.js';
import { AppError, ERROR_TYPES, InternalError, NotFoundError, UnprocessableError } from '../../errors.js';
import { PythonLiteralError } from './python-literal-parser.js';

/**
 * The AppError of a restore that failed on something other than an AppError: by SQLSTATE or
 * errno (the one map in error-map.ts), never by message text. `data` (the rolled-back result)
 * goes into the reply as it is.
 */
export function restoreFailure(
  err: unknown,
  data: Record<string, unknown>,
  current: { table: string; file: string } | undefined,
  callerParam: string | undefined,
): AppError {
  const detail = describeError(err);
  const message = `Vector表恢复失败，所有更改已回滚: ${current ? `${current.table}: ` : ''}${detail}`;
  const options = { cause: err, data, details: detail };
  // The set was deleted or moved after its files were checked.
  if ((err as { code?: unknown }).code === 'ENOENT' && current) {
    return new NotFoundError(`备份文件在恢复过程中被删除或移动: ${current.file}`, ERROR_TYPES.FILE_NOT_FOUND, options);
  }
  if (isCsvError(err)) return new UnprocessableError(message, ERROR_TYPES.VECTOR_RESTORE_FAILED, options);
  return (
    fromPgError(err, { message, errorType: ERROR_TYPES.VECTOR_RESTORE_FAILED, data, details: detail, callerParam }) ??
    new InternalError(message, ERROR_TYPES.VECTOR_RESTORE_FAILED, options)
  );
}

/** The server's message plus where in the file it happened (`COPY t, line 57, column x`). */
export function describeError(err: unknown): string {
  const e = err as { message?: string; where?: string; detail?: string };
  return [e.message, e.detail, e.where].filter(Boolean).join(' | ');
}

/** A file that cannot be read as CSV, or a metadata value that is neither JSON nor a Python literal. */
function isCsvError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && code.startsWith('CSV_')) || err instanceof PythonLiteralError;
}
