import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import {
  AppError,
  ERROR_TYPES,
  InternalError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UpstreamError,
  ValidationError,
} from '../errors.js';
import { clientPathError, fromPgError } from '../error-map.js';
import type { Logger } from '../logger.js';
import { EmbeddingError, LlmError } from '../providers/types.js';
import { errorBody } from './envelope.js';
import { isRoutineProbe } from './middleware.js';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Turns anything thrown into an AppError; unknown errors become a 500 without leaking internals. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    return new ValidationError(`请求参数错误: ${err.issues[0]?.message ?? ''}`, ERROR_TYPES.INVALID_PARAMS, {
      invalidParams: [...new Set(err.issues.map((i) => i.path.join('.')))],
      details: err.issues,
    });
  }
  const parserError = err as BodyParserError;
  // The router's own decode failure of a malformed %-escape in the path.
  if (err instanceof URIError && parserError.status === 400) {
    return new ValidationError('请求路径包含无效的百分号编码', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['path'] });
  }
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return new ValidationError('请求体不是有效的JSON: 请检查 JSON 语法与 Content-Type', ERROR_TYPES.INVALID_PARAMS, {
        invalidParams: ['body'],
      });
    case 'entity.too.large':
      return new PayloadTooLargeError(`请求体过大，上限为 ${parserError.limit ?? '?'} 字节`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ValidationError('请求体编码不受支持，请使用 UTF-8', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['body'] });
  }
  if (err instanceof LlmError || err instanceof EmbeddingError) {
    return new UpstreamError(`模型服务调用失败: ${err.message}`, ERROR_TYPES.MODEL_PROVIDER_ERROR, { cause: err });
  }
  // Database errors no service claimed, by SQLSTATE (error-map.ts). Connection failures here are the
  // server's own databases, where even an authentication failure is an operator problem (503).
  const database = fromPgError(err);
  if (database) return database;
  const badPath = clientPathError(err);
  if (badPath) return badPath;
  return new InternalError('系统内部错误，请稍后重试或查看服务日志', ERROR_TYPES.INTERNAL_ERROR, { cause: err });
}

export function createErrorHandler(logger: Logger) {
  // Express recognises error handlers by their arity, so `next` must stay in the signature.
  return function errorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
    const appError = toAppError(err);
    const log = req.log ?? logger;
    if (appError.status >= 500) log.error({ err }, 'request failed');
    else if (appError.status === 404 && isRoutineProbe(req.originalUrl)) log.debug({ errorType: appError.errorType, status: 404 }, appError.message);
    else log.info({ errorType: appError.errorType, status: appError.status }, appError.message);

    if (res.headersSent) {
      // A stream is in flight: the only honest signal left is to abort the socket.
      next(err);
      return;
    }
    if (appError instanceof MethodNotAllowedError) res.set('Allow', appError.allowedMethods.join(', '));
    res.status(appError.status).json(errorBody(appError, String(req.id ?? '')));
  };
}
