// The one place the dashboard talks to the server: /api/v0 routes only, the bearer token when the
// user has entered one (localStorage), and the API's own Chinese messages on failure.

export const API = '/api/v0';
const TOKEN_KEY = 't2s.apiToken';

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => (value ? localStorage.setItem(TOKEN_KEY, value) : localStorage.removeItem(TOKEN_KEY)),
};

export class ApiError extends Error {
  constructor(status, body) {
    const data = body?.data ?? {};
    const message = body?.message ?? `HTTP ${status}`;
    // The detail often repeats the message as its own prefix ("备份文件校验失败: …"): said once.
    const response = typeof data.response === 'string' ? data.response : '';
    super(!response || response === message ? message : response.startsWith(message) ? response : `${message}: ${response}`);
    this.status = status;
    this.body = body;
  }
}

function headers(extra = {}) {
  const t = token.get();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

async function send(path, init) {
  const res = await fetch(`${API}${path}`, { ...init, headers: headers(init.headers) });
  if (res.status === 401) document.dispatchEvent(new CustomEvent('t2s:unauthorized'));
  return res;
}

/** A JSON route: resolves to the envelope's `data`, rejects with ApiError carrying the API's message. */
export async function api(path, { method = 'GET', body, form, signal } = {}) {
  const init = { method, signal, headers: {} };
  if (form) init.body = form;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await send(path, init);
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  if (!res.ok || json?.success === false) throw new ApiError(res.status, json);
  return json?.data ?? {};
}

/** Query string from an object, leaving out empty values. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/**
 * Downloads a file route. Without a token the browser streams it straight to disk (a link); with
 * one the header must be sent, so it is fetched, then saved from a blob.
 */
export async function download(path, fallbackName) {
  if (!token.get()) {
    const a = Object.assign(document.createElement('a'), { href: `${API}${path}`, download: '' });
    document.body.append(a);
    a.click();
    a.remove();
    return;
  }
  const res = await send(path, { method: 'GET' });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition) ?? /filename="?([^";]+)"?/i.exec(disposition);
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: match ? decodeURIComponent(match[1]) : fallbackName });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Server-Sent Events read through fetch (EventSource cannot send the Authorization header).
 * Calls onEvent(name, data) per event; resolves when the stream ends, rejects when it cannot be read.
 */
export async function readEvents(path, onEvent, signal) {
  const res = await send(path, { method: 'GET', signal, headers: { Accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new ApiError(res.status, null);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}
