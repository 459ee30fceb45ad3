/**
 * A base URL fit for error messages and logs: user info and the query string are dropped because
 * some gateways carry credentials there (`https://user:key@host`, `?api-key=…`).
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '<invalid URL>';
  }
}
