/**
 * One error hierarchy for the whole server. Services throw these; the error handler turns them into
 * the SPEC §3 envelope. `errorType` is the wire value of `data.error_type` / `error.type`.
 */
export const ERROR_TYPES = {
  MISSING_REQUIRED_PARAMS: 'MISSING_REQUIRED_PARAMS',
  INVALID_PARAMS: 'INVALID_PARAMS',
  RESOURCE_NOT_FOUND: 'RESOURCE_NOT_FOUND',
  TASK_NOT_FOUND: 'TASK_NOT_FOUND',
  TASK_ALREADY_RUNNING: 'TASK_ALREADY_RUNNING',
  /** Cancel of a task with no queued or running execution. */
  TASK_NOT_RUNNING: 'TASK_NOT_RUNNING',
  INVALID_EXECUTION_MODE: 'INVALID_EXECUTION_MODE',
  MISSING_STEP_NAME: 'MISSING_STEP_NAME',
  INVALID_STEP_NAME: 'INVALID_STEP_NAME',
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  DATABASE_CONNECTION_ERROR: 'DATABASE_CONNECTION_ERROR',
  VECTOR_BACKUP_FAILED: 'VECTOR_BACKUP_FAILED',
  VECTOR_TRUNCATE_FAILED: 'VECTOR_TRUNCATE_FAILED',
  VECTOR_RESTORE_FAILED: 'VECTOR_RESTORE_FAILED',
  /** Another restore/truncate holds the writer lock of the same vector database. */
  VECTOR_WRITE_IN_PROGRESS: 'VECTOR_WRITE_IN_PROGRESS',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** The configured LLM or embedding endpoint failed or answered nonsense. */
  MODEL_PROVIDER_ERROR: 'MODEL_PROVIDER_ERROR',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  /** The request line and headers exceed the server's limit (431, answered before any route). */
  REQUEST_HEADER_TOO_LARGE: 'REQUEST_HEADER_TOO_LARGE',
  /** The bytes received are not HTTP/1.1 the server can parse (400, answered before any route). */
  MALFORMED_HTTP_REQUEST: 'MALFORMED_HTTP_REQUEST',
  /** The client did not send a complete request head in time (408). */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** A table lock was not granted within LOCK_TIMEOUT_MS (SQLSTATE 55P03): another operation holds the tables. */
  LOCK_TIMEOUT: 'LOCK_TIMEOUT',
  /** Cancel of an execution that has already ended (SPEC §3). */
  JOB_NOT_RUNNING: 'JOB_NOT_RUNNING',
  /** No vector job (backup, restore, verify) with that id (SPEC §3, §7). */
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  /** The server is still starting (port bound, database or migrations not ready yet). */
  SERVICE_STARTING: 'SERVICE_STARTING',
} as const;

export type ErrorType = (typeof ERROR_TYPES)[keyof typeof ERROR_TYPES];

export interface AppErrorOptions {
  /** Machine-readable details (`error.details`). */
  details?: unknown;
  /** Extra fields merged into `data` (e.g. the per-table results of a failed restore). */
  data?: Record<string, unknown>;
  missingParams?: string[];
  invalidParams?: string[];
  cause?: unknown;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  readonly errorType: ErrorType;
  readonly details: unknown;
  readonly data: Record<string, unknown> | undefined;
  readonly missingParams: string[] | undefined;
  readonly invalidParams: string[] | undefined;

  constructor(message: string, errorType: ErrorType, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.errorType = errorType;
    this.details = options.details;
    this.data = options.data;
    this.missingParams = options.missingParams;
    this.invalidParams = options.invalidParams;
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  constructor(message: string, errorType: ErrorType = ERROR_TYPES.INVALID_PARAMS, options?: AppErrorOptions) {
    super(message, errorType, options);
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  constructor(message = '缺少或无效的访问令牌 (Authorization: Bearer <API_TOKEN>)') {
    super(message, ERROR_TYPES.UNAUTHORIZED);
  }
}

export class NotFoundError extends AppError {
  readonly status = 404;
  constructor(message: string, errorType: ErrorType = ERROR_TYPES.RESOURCE_NOT_FOUND, options?: AppErrorOptions) {
    super(message, errorType, options);
  }
}

export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  constructor(
    message: string,
    readonly allowedMethods: string[],
  ) {
    super(message, ERROR_TYPES.METHOD_NOT_ALLOWED, { details: { allowed_methods: allowedMethods } });
  }
}

export class ConflictError extends AppError {
  readonly status = 409;
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  constructor(message: string) {
    super(message, ERROR_TYPES.PAYLOAD_TOO_LARGE);
  }
}

/** A table lock was not granted within `lock_timeout`: the operation gave up instead of queueing forever. */
export class LockTimeoutError extends AppError {
  readonly status = 409;
  constructor(message = '等待表锁超时：向量表正被其他操作占用，请稍后重试', options?: AppErrorOptions) {
    super(message, ERROR_TYPES.LOCK_TIMEOUT, options);
  }
}

/** The request was well-formed but the data it points at cannot be used (e.g. a corrupt backup file). */
export class UnprocessableError extends AppError {
  readonly status = 422;
}

/** A dependency (a database) cannot be reached; the request may succeed later. */
export class ServiceUnavailableError extends AppError {
  readonly status = 503;
}

/** An upstream dependency (LLM, embedding endpoint) failed; the request itself was fine. */
export class UpstreamError extends AppError {
  readonly status = 502;
}

export class InternalError extends AppError {
  readonly status = 500;
  constructor(message: string, errorType: ErrorType = ERROR_TYPES.INTERNAL_ERROR, options?: AppErrorOptions) {
    super(message, errorType, options);
  }
}

/**
 * Connection failures (SPEC §3), in two kinds:
 * - `unreachable`: the network or the server's state (refused, unknown host, timeout, too many
 *   connections, shutting down). Always a 503: retrying later may work.
 * - `rejected`: the server answered and refused what the connection string asks for (password,
 *   role, database, startup options, SSL mode). The caller's fault when the connection string is
 *   theirs (400 naming the parameter), an operator's when it is the server's own (503).
 */
export type ConnectionFailureKind = 'unreachable' | 'rejected';

/** Set by the pool on any error raised while a connection was being established (db/pool.ts). */
export const CONNECT_PHASE = Symbol('connect-phase');

const UNREACHABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);
/** 08 connection exception, 53 insufficient resources, 57P01-03 shutdown / cannot connect now. */
const UNREACHABLE_SQLSTATES = /^(08|53|57P0[1-3])/;
/** 28 invalid authorization (28P01 password, 28000 role), 3D000 unknown database. */
const REJECTED_SQLSTATES = /^(28|3D000$)/;
/** What each rejection says to the caller; anything else in the connect phase is a bad option. */
const REJECTION_TEXT: Record<string, string> = {
  '28P01': '密码认证失败',
  '28000': '角色不存在或不允许登录',
  '3D000': '数据库不存在',
};

export function connectionFailureKind(err: unknown): ConnectionFailureKind | null {
  const code = (err as { code?: unknown } | null)?.code;
  const connecting = (err as { [CONNECT_PHASE]?: boolean } | null)?.[CONNECT_PHASE] === true;
  if (typeof code === 'string') {
    if (REJECTED_SQLSTATES.test(code)) return 'rejected';
    if (UNREACHABLE_ERRNOS.has(code)) return 'unreachable';
    // 08P01 during start-up is the server refusing the startup packet (e.g. a NUL in the name).
    if (UNREACHABLE_SQLSTATES.test(code)) return connecting && code === '08P01' ? 'rejected' : 'unreachable';
  }
  // pg-pool's own timeouts and a connection lost mid-query carry no code.
  if (/Connection terminated|timeout exceeded when trying to connect/i.test(String((err as Error | null)?.message))) return 'unreachable';
  // Anything else the server or driver refused at start-up: unknown option, SSL unsupported, ...
  return connecting ? 'rejected' : null;
}

export function isConnectionError(err: unknown): boolean {
  return connectionFailureKind(err) !== null;
}

/**
 * The one SQLSTATE/errno → HTTP map for connection failures, used by the error handler (the
 * server's own databases) and by services that connect with a caller's connection string
 * (`callerParam`: `db_connection` or `pg_conn`). Null when `err` is not a connection failure.
 */
export function connectionFailureError(err: unknown, callerParam?: string): AppError | null {
  const kind = connectionFailureKind(err);
  if (kind === null) return null;
  if (kind === 'rejected' && callerParam) {
    const code = String((err as { code?: unknown }).code ?? '');
    const why = REJECTION_TEXT[code] ?? '连接选项无效 (sslmode、options 等)';
    return new ValidationError(
      `参数 ${callerParam} 无效: 数据库拒绝了连接，${why}${code ? ` (${code})` : ''}。请检查用户名、密码、数据库名与连接选项`,
      ERROR_TYPES.INVALID_PARAMS,
      { invalidParams: [callerParam], cause: err },
    );
  }
  return new ServiceUnavailableError('数据库连接失败，请检查数据库是否可用', ERROR_TYPES.DATABASE_CONNECTION_ERROR, { cause: err });
}

/** Node errnos of names the file system cannot hold: the request named something impossible. */
const CLIENT_PATH_ERRNOS = new Set(['ENAMETOOLONG']);

/** A file-system error caused by an impossible name in the request (ENAMETOOLONG) → 400; else null. */
export function clientPathError(err: unknown): AppError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !CLIENT_PATH_ERRNOS.has(code)) return null;
  return new ValidationError('请求中的名称或路径过长 (超过文件系统限制)', ERROR_TYPES.INVALID_PARAMS, { cause: err });
}

/** Maps a PostgreSQL error to its HTTP meaning by SQLSTATE (never by message text). */
export function statusForPgError(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 500;
  if (isConnectionError(err)) return 503;
  if (code === '23505' || code === '23503' || code === '55P03') return 409;
  if (code === '42P01') return 404;
  if (code === '57014') return 503;
  if (code.startsWith('22') || code.startsWith('23')) return 422;
  return 500;
}
