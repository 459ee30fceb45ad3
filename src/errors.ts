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
  /** A backup file's SHA-256 differs from its set's manifest (422): the file is corrupt or was changed. */
  BACKUP_CHECKSUM_MISMATCH: 'BACKUP_CHECKSUM_MISMATCH',
  /** A restored row's key, or a renamed collection, already exists and on_conflict is `error` (409). */
  VECTOR_RESTORE_CONFLICT: 'VECTOR_RESTORE_CONFLICT',
  /** An uploaded backup set's timestamp already exists at the target location (409). */
  BACKUP_SET_EXISTS: 'BACKUP_SET_EXISTS',
  /** The backup store (S3-compatible object storage) cannot be reached or refuses the server's credentials (503). */
  BACKUP_STORE_UNAVAILABLE: 'BACKUP_STORE_UNAVAILABLE',
  /** A binary set's column type differs from the restore target's (422, naming the column). */
  COLUMN_TYPE_MISMATCH: 'COLUMN_TYPE_MISMATCH',
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

/**
 * The backup store cannot be used: endpoint unreachable, credentials refused, bucket missing. An
 * operator's problem, so a 503 naming the store, never the credentials (the SDK's error, which may
 * echo the access key id, is kept out of the reply and the log: no `cause`).
 */
export class BackupStoreUnavailableError extends ServiceUnavailableError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, ERROR_TYPES.BACKUP_STORE_UNAVAILABLE, { details });
  }
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
 * A configuration that cannot work (bad environment, a provider's unusable base URL). Not an
 * AppError: it stops start-up (main.ts prints it and exits) rather than answering a request.
 */
export class ConfigError extends Error {}
