import {
  AppError,
  BackupStoreUnavailableError,
  ConflictError,
  ERROR_TYPES,
  InternalError,
  LockTimeoutError,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableError,
  ValidationError,
  type AppErrorOptions,
  type ErrorType,
} from './errors.js';

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

/** What a service adds to a mapped database error: its own message, error type and reply data. */
export interface PgErrorContext {
  message?: string;
  errorType?: ErrorType;
  data?: Record<string, unknown>;
  details?: unknown;
  /** `db_connection` / `pg_conn` when the connection string was the caller's (SPEC §3). */
  callerParam?: string;
}

/**
 * The one SQLSTATE/errno → AppError map: the error handler's answer for a database error that no
 * service claimed, and what services build theirs on (their message, error type and data kept).
 * Null when `err` carries no code this map knows; the caller then decides (usually a 500).
 */
export function fromPgError(err: unknown, context: PgErrorContext = {}): AppError | null {
  const connection = connectionFailureError(err, context.callerParam);
  if (connection) return context.data ? Object.assign(connection, { data: { ...context.data, ...connection.data } }) : connection;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return null;
  const options: AppErrorOptions = { cause: err, data: context.data, details: context.details ?? (err as Error).message };
  // lock_timeout: another operation held the tables longer than LOCK_TIMEOUT_MS.
  if (code === '55P03') return new LockTimeoutError(undefined, options);
  const message = context.message ?? `数据库拒绝了该操作: ${(err as Error).message}`;
  switch (statusForPgError(err)) {
    case 409:
      return new ConflictError(message, context.errorType ?? ERROR_TYPES.INVALID_PARAMS, options);
    case 404:
      return new NotFoundError(message, context.errorType ?? ERROR_TYPES.RESOURCE_NOT_FOUND, options);
    case 422:
      return new UnprocessableError(message, context.errorType ?? ERROR_TYPES.INVALID_PARAMS, options);
    case 503:
      return new ServiceUnavailableError(message, context.errorType ?? ERROR_TYPES.DATABASE_CONNECTION_ERROR, options);
    default:
      return new InternalError(message, context.errorType ?? ERROR_TYPES.INTERNAL_ERROR, options);
  }
}

/** S3 error codes that mean the server's own store settings are wrong (credentials, bucket). */
const STORE_REFUSALS: Record<string, string> = {
  InvalidAccessKeyId: '访问密钥不存在 (S3_ACCESS_KEY_ID)',
  SignatureDoesNotMatch: '签名不符，密钥错误 (S3_SECRET_ACCESS_KEY)',
  AccessDenied: '无权访问该存储桶 (检查凭据与存储桶策略)',
  NoSuchBucket: '存储桶不存在 (S3_BUCKET)',
  CredentialsProviderError: '未配置凭据 (S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY)',
};

/**
 * The one map for failures of the backup store (S3 SDK errors): anything the store itself raised
 * (network, credentials, bucket, a 5xx) is a 503 naming the store and saying what to check. Only
 * the error's code and HTTP status are kept: SDK errors can carry the request's access key id.
 * Null for errors that are not the store's (an AppError, an abort): the caller rethrows those.
 */
export function backupStoreError(err: unknown, store: string): AppError | null {
  if (err instanceof AppError || (err as Error | null)?.name === 'AbortError') return null;
  const e = err as { name?: unknown; code?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  // A plain Error's name ('Error') says nothing; the errno (ECONNREFUSED) or the S3 code does.
  const code = String(e?.Code ?? (e?.name === 'Error' ? '' : (e?.name ?? '')));
  const errno = typeof e?.code === 'string' ? e.code : '';
  const status = e?.$metadata?.httpStatusCode;
  const details = { store, code: code || errno || null, http_status: status ?? null };
  const refusal = STORE_REFUSALS[code] ?? (status === 403 ? STORE_REFUSALS.AccessDenied : undefined);
  if (refusal) return new BackupStoreUnavailableError(`备份存储 ${store} 不可用: ${refusal}`, details);
  if (UNREACHABLE_ERRNOS.has(errno) || /TimeoutError|RequestTimeout|ECONNREFUSED|socket hang up/i.test(`${code} ${(err as Error | null)?.message}`)) {
    return new BackupStoreUnavailableError(`备份存储 ${store} 无法连接 (检查 S3_ENDPOINT 与网络)`, details);
  }
  if (e?.$metadata !== undefined || errno !== '') {
    return new BackupStoreUnavailableError(`备份存储 ${store} 出错: ${code || errno}${status ? ` (HTTP ${status})` : ''}`, details);
  }
  return null;
}
