import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, ERROR_TYPES, type ErrorType } from '../errors.js';
import type { Logger } from '../logger.js';
import { errorBody } from './envelope.js';

/** A request Node's HTTP parser refused: it never reaches Express, so its status is given here. */
export class ClientProtocolError extends AppError {
  constructor(
    readonly status: number,
    message: string,
    errorType: ErrorType,
  ) {
    super(message, errorType);
  }
}

/** What to answer for a parser or socket error; null when there is nobody to answer (reset, closed). */
export function clientErrorReply(err: Error & { code?: string }): ClientProtocolError | null {
  const code = err.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new ClientProtocolError(
      431,
      `请求头过大: 请求行与请求头合计超过 ${maxHeaderSize} 字节，请减少 Cookie 或自定义请求头后重试`,
      ERROR_TYPES.REQUEST_HEADER_TOO_LARGE,
    );
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ClientProtocolError(408, '请求超时: 未在规定时间内收到完整的请求头', ERROR_TYPES.REQUEST_TIMEOUT);
  }
  if (code.startsWith('HPE_')) {
    return new ClientProtocolError(400, `无法解析的 HTTP 请求 (${code})，请检查请求行、请求头与分块编码`, ERROR_TYPES.MALFORMED_HTTP_REQUEST);
  }
  return null;
}

/**
 * The server's `clientError` listener. Node's default answers these with a bare status line and an
 * empty body; clients of this API parse every error as the SPEC §3 envelope, so it is written here,
 * as raw HTTP/1.1 (there is no request or response object yet), and the connection is closed: after
 * a parse error the rest of the stream cannot be trusted to be framed.
 */
export function handleClientError(logger: Logger) {
  return (err: Error & { code?: string }, socket: Duplex): void => {
    const reply = clientErrorReply(err);
    // A response already under way on this keep-alive socket must not get a second head in its body.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (!reply || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    logger.info({ code: err.code, status: reply.status }, reply.message);
    const body = JSON.stringify(errorBody(reply));
    const head = [
      `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ].join('\r\n');
    // Destroyed once the reply is flushed, so it is not cut off by the close.
    socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
  };
}
