import { describe, expect, it } from 'vitest';
import { backupStoreError, CONNECT_PHASE, clientPathError, connectionFailureError, connectionFailureKind, fromPgError } from './error-map.js';
import { NotFoundError } from './errors.js';

const pgError = (code: string, connecting = false) => {
  const err = Object.assign(new Error(`pg ${code}`), { code });
  if (connecting) Object.defineProperty(err, CONNECT_PHASE, { value: true });
  return err;
};

describe('the SQLSTATE/errno → HTTP map of connection failures (SPEC §3)', () => {
  it.each(['28P01', '28000', '3D000'])('%s is a refusal: 400 naming the caller\'s parameter, 503 for the server\'s own', (code) => {
    expect(connectionFailureKind(pgError(code))).toBe('rejected');
    expect(connectionFailureError(pgError(code), 'pg_conn')).toMatchObject({ status: 400, errorType: 'INVALID_PARAMS', invalidParams: ['pg_conn'] });
    expect(connectionFailureError(pgError(code))).toMatchObject({ status: 503, errorType: 'DATABASE_CONNECTION_ERROR' });
  });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '08006', '53300', '57P03'])(
    '%s is unreachable: 503 even for a caller\'s connection string',
    (code) => {
      expect(connectionFailureError(pgError(code), 'db_connection')).toMatchObject({ status: 503, errorType: 'DATABASE_CONNECTION_ERROR' });
    },
  );

  it('a start-up refusal without a 28/3D SQLSTATE (unknown option, SSL, 08P01) is a refusal only in the connect phase', () => {
    for (const code of ['42704', '22023', '08P01']) {
      expect(connectionFailureKind(pgError(code, true))).toBe('rejected');
    }
    expect(connectionFailureKind(pgError('42704'))).toBeNull();
    expect(connectionFailureKind(pgError('08P01'))).toBe('unreachable');
    const noCode = new Error('The server does not support SSL connections');
    expect(connectionFailureKind(noCode)).toBeNull();
    Object.defineProperty(noCode, CONNECT_PHASE, { value: true });
    expect(connectionFailureKind(noCode)).toBe('rejected');
  });

  it('query errors are not connection failures', () => {
    expect(connectionFailureError(pgError('23505'), 'db_connection')).toBeNull();
    expect(connectionFailureError(new Error('boom'))).toBeNull();
  });

  it('ENAMETOOLONG from the file system is a 400', () => {
    expect(clientPathError(Object.assign(new Error('x'), { code: 'ENAMETOOLONG' }))).toMatchObject({ status: 400 });
    expect(clientPathError(Object.assign(new Error('x'), { code: 'EIO' }))).toBeNull();
  });
});

describe('fromPgError: the one SQLSTATE map', () => {
  it('maps by SQLSTATE, keeping the service message, error type and data', () => {
    const context = { message: 'Vector表恢复失败', errorType: 'VECTOR_RESTORE_FAILED' as const, data: { rows: 0 } };
    expect(fromPgError(pgError('23505'), context)).toMatchObject({ status: 409, errorType: 'VECTOR_RESTORE_FAILED', message: 'Vector表恢复失败', data: { rows: 0 } });
    expect(fromPgError(pgError('22P02'), context)).toMatchObject({ status: 422, errorType: 'VECTOR_RESTORE_FAILED' });
    expect(fromPgError(pgError('42P01'))).toMatchObject({ status: 404, errorType: 'RESOURCE_NOT_FOUND' });
    expect(fromPgError(pgError('57014'))).toMatchObject({ status: 503 });
    expect(fromPgError(pgError('55P03'), context)).toMatchObject({ status: 409, errorType: 'LOCK_TIMEOUT', data: { rows: 0 } });
    expect(fromPgError(pgError('XX000'))).toMatchObject({ status: 500, errorType: 'INTERNAL_ERROR' });
  });

  it('connection failures: the caller’s connection string is a 400 naming it, with the service data kept', () => {
    expect(fromPgError(pgError('3D000'), { callerParam: 'pg_conn', data: { rows: 0 } })).toMatchObject({
      status: 400,
      invalidParams: ['pg_conn'],
      data: { rows: 0 },
    });
    expect(fromPgError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({ status: 503, errorType: 'DATABASE_CONNECTION_ERROR' });
  });

  it('leaves what it does not know to the caller', () => {
    expect(fromPgError(new Error('boom'))).toBeNull();
    expect(fromPgError(Object.assign(new Error('x'), { code: 'CSV_RECORD_INCONSISTENT_COLUMNS' }))).toBeNull();
  });
});

describe('backup store failures (S3 SDK errors) → 503 naming the store', () => {
  /** An SDK service error as the client builds it: the reply's fields copied onto the error. */
  const s3Error = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, AWSAccessKeyId: 'AKIALEAK', StringToSign: 'AWS4 secret-ish' });

  it.each([
    ['SignatureDoesNotMatch', 403, /S3_SECRET_ACCESS_KEY/],
    ['InvalidAccessKeyId', 403, /S3_ACCESS_KEY_ID/],
    ['AccessDenied', 403, /存储桶策略/],
    ['NoSuchBucket', 404, /S3_BUCKET/],
    ['InternalError', 500, /InternalError \(HTTP 500\)/],
  ])('%s (HTTP %d)', (name, status, hint) => {
    const err = backupStoreError(s3Error(name, status), 's3://b/p');
    expect(err).toMatchObject({ status: 503, errorType: 'BACKUP_STORE_UNAVAILABLE', details: { store: 's3://b/p', code: name, http_status: status } });
    expect(err!.message).toContain('s3://b/p');
    expect(err!.message).toMatch(hint);
    // What the SDK error carries from the request (the access key id) stays out of the reply and the log.
    expect(err!.cause).toBeUndefined();
    expect(JSON.stringify({ message: err!.message, details: err!.details })).not.toContain('AKIALEAK');
  });

  it('network failures are "unreachable"; app errors and aborts are not the store\'s', () => {
    expect(backupStoreError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 's3://b/p')?.message).toMatch(/S3_ENDPOINT/);
    expect(backupStoreError(new NotFoundError('x'), 's3://b/p')).toBeNull();
    expect(backupStoreError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 's3://b/p')).toBeNull();
    expect(backupStoreError(new Error('a plain bug'), 's3://b/p')).toBeNull();
  });
});
