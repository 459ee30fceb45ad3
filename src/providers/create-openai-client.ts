import { OpenAI, type ClientOptions } from 'openai';
import type { Logger } from '../logger.js';
import { plainBaseUrl } from './plain-base-url.js';

export interface OpenAiClientSettings {
  baseUrl: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  maxRetries: number;
}

/**
 * One place that builds the SDK client for both chat and embeddings.
 *
 * Retries are the SDK's job: it retries connection errors, timeouts, 408, 409, 429 and 5xx
 * `maxRetries` times with exponential backoff (0.5 s doubling to 8 s, with jitter) and honours
 * `retry-after` / `retry-after-ms`. `timeout` applies to each attempt separately.
 */
export function createOpenAiClient(settings: OpenAiClientSettings, label: string, logger: Logger): OpenAI {
  return new OpenAI({
    baseURL: plainBaseUrl(settings.baseUrl, label),
    // The SDK refuses to start without a key, and an undefined key would make it read OPENAI_API_KEY.
    // Local servers (Ollama, vLLM) ignore the header, so any placeholder will do.
    apiKey: settings.apiKey || 'not-needed',
    timeout: settings.timeoutMs,
    maxRetries: settings.maxRetries,
    // Every option left undefined falls back to an OPENAI_* environment variable inside the SDK;
    // config.ts is the only reader of the environment, so pin them all explicitly. (OPENAI_CUSTOM_HEADERS
    // is still merged into every request's headers; the SDK has no switch for it.)
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    // 'info' is where the SDK reports each attempt and retry; its 'debug' dumps request bodies
    // (prompts built from business rows), which must never reach the logs.
    logLevel: 'info',
    logger: toSdkLogger(logger),
  });
}

/** The SDK passes request details as extra arguments; only the one-line message is kept. */
function toSdkLogger(logger: Logger): ClientOptions['logger'] {
  return {
    error: (message: string) => logger.error(message),
    warn: (message: string) => logger.warn(message),
    // Per-attempt chatter ("succeeded with status 200", "retrying, 1 attempts remaining").
    info: (message: string) => logger.debug(message),
    debug: (message: string) => logger.trace(message),
  };
}
