import { ConfigError } from '../errors.js';
import { redactUrl } from './redact-url.js';

/**
 * Checks a configured base URL at start-up and returns it without a trailing slash.
 *
 * Credentials and query strings are refused rather than passed on: fetch rejects URLs with user info
 * (and its error message repeats the URL, secret included, into our logs), and the OpenAI SDK appends
 * the route after the query string (`…?api-key=x/chat/completions`). Keys belong in the API key setting.
 */
export function plainBaseUrl(url: string, label: string): string {
  if (!URL.canParse(url)) throw new ConfigError(`${label} base URL is not a valid URL`);
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${label} base URL must be http(s), got ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password || parsed.search) {
    throw new ConfigError(
      `${label} base URL ${redactUrl(url)} must not carry credentials or a query string; set the API key instead`,
    );
  }
  return url.replace(/\/+$/, '');
}
