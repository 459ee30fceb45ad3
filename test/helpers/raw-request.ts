import type { Express } from 'express';
import request from 'supertest';

export interface RawReply {
  status: number;
  /** The whole reply body as text, whatever its content type (downloads included). */
  text: string;
  json: any;
}

type Method = 'get' | 'post' | 'delete' | 'put' | 'patch';

/** A request whose reply is always read whole as text, so a test can search every byte of it. */
export function rawRequest(app: Express, method: Method, url: string) {
  return request(app)
    [method](url)
    .buffer(true)
    .parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => done(null, text));
    });
}

export function toReply(res: { status: number; body: unknown }): RawReply {
  const text = typeof res.body === 'string' ? res.body : '';
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (a download, an empty body).
  }
  return { status: res.status, text, json };
}
