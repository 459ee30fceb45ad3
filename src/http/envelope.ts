import type { Response } from 'express';
import type { AppError } from '../errors.js';
import { localIsoTimestamp } from '../lib/time.js';

/** The standard `message` of each status, as the original service and the seed docs use them. */
const STATUS_MESSAGES: Record<number, string> = {
  200: '操作成功',
  201: '操作成功',
  202: '操作成功',
  400: '请求参数错误',
  401: '未授权访问',
  404: '资源未找到',
  405: '请求方法不允许',
  408: '请求超时',
  409: '资源冲突',
  413: '请求内容过大',
  422: '参数验证失败',
  431: '请求头过大',
  500: '系统内部错误',
  502: '上游服务错误',
  503: '服务暂时不可用',
};

const ERROR_TYPE_MESSAGES: Record<string, string> = {
  TASK_ALREADY_RUNNING: '任务已在执行',
  BACKUP_CHECKSUM_MISMATCH: '备份文件校验失败',
  BACKUP_SET_EXISTS: '备份集已存在',
  VECTOR_RESTORE_CONFLICT: '恢复数据冲突',
  BACKUP_STORE_UNAVAILABLE: '备份存储不可用',
  COLUMN_TYPE_MISMATCH: '列类型不一致',
};

export interface SuccessBody {
  success: true;
  code: number;
  message: string;
  data: Record<string, unknown> & { response: string; timestamp: string };
}

export interface ErrorBody {
  success: false;
  code: number;
  message: string;
  data: Record<string, unknown> & { response: string; error_type: string; timestamp: string };
  error: { type: string; details: unknown; missing_params?: string[]; invalid_params?: string[] };
  request_id?: string;
}

export function successBody(status: number, response: string, data: Record<string, unknown> = {}): SuccessBody {
  return {
    success: true,
    code: status,
    message: STATUS_MESSAGES[status] ?? '操作成功',
    data: { ...data, response, timestamp: localIsoTimestamp() },
  };
}

/** Sends a success envelope; `code` always equals the HTTP status (SPEC §3). */
export function sendSuccess(res: Response, status: number, response: string, data?: Record<string, unknown>): void {
  res.status(status).json(successBody(status, response, data));
}

export function errorBody(err: AppError, requestId?: string): ErrorBody {
  const params: { missing_params?: string[]; invalid_params?: string[] } = {};
  if (err.missingParams?.length) params.missing_params = err.missingParams;
  if (err.invalidParams?.length) params.invalid_params = err.invalidParams;
  return {
    success: false,
    code: err.status,
    message: ERROR_TYPE_MESSAGES[err.errorType] ?? STATUS_MESSAGES[err.status] ?? '处理失败',
    data: {
      ...err.data,
      response: err.message,
      error_type: err.errorType,
      ...params,
      timestamp: localIsoTimestamp(),
    },
    error: { type: err.errorType, details: err.details ?? err.message, ...params },
    ...(requestId ? { request_id: requestId } : {}),
  };
}
