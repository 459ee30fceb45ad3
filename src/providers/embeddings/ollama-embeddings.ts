import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logger.js';
import { plainBaseUrl } from '../plain-base-url.js';
import { redactUrl } from '../redact-url.js';
import type { EmbeddingSettings } from '../../config.js';
import { EmbeddingError, type EmbeddingProvider, type EmbedOptions } from '../types.js';
import { checkedUnitVector, chunk, nonBlankIndices, zeroVector } from './normalize-vector.js';

export interface OllamaEmbeddingsOptions {
  /** First retry delay; doubles per retry up to 8 s. Tests shorten it. Default 500 ms. */
  retryBaseDelayMs?: number;
}

const DEFAULT_BASE_URL = 'http://127.0.0.1:11434';
const MAX_RETRY_DELAY_MS = 8_000;

/** A response worth another attempt: the server is busy or broken, not the request. */
class RetryableResponse extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`HTTP ${status}`);
  }
}

/**
 * Ollama's native API. `/api/embed` (Ollama ≥ 0.3) embeds a whole batch per call; servers that
 * predate it answer that route with a plain-text 404, and are then served one text per call
 * through the legacy `/api/embeddings`. A JSON 404 is different: the route exists but the model
 * has not been pulled.
 */
export class OllamaEmbeddings implements EmbeddingProvider {
  readonly name = 'ollama';
  readonly model: string;
  readonly dimensions: number;
  private readonly baseUrl: string;
  private readonly retryBaseDelayMs: number;
  private useLegacyRoute = false;

  constructor(
    private readonly settings: EmbeddingSettings,
    private readonly logger: Logger,
    options: OllamaEmbeddingsOptions = {},
  ) {
    this.model = settings.model;
    this.dimensions = settings.dimensions;
    // People often reuse the OpenAI-compatible URL (…:11434/v1); the native API lives at the root.
    this.baseUrl = plainBaseUrl(settings.baseUrl ?? DEFAULT_BASE_URL, 'Ollama embedding').replace(/\/v1$/, '');
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<number[][]> {
    const vectors = texts.map(() => zeroVector(this.dimensions));
    for (const indices of chunk(nonBlankIndices(texts), this.settings.batchSize)) {
      const input = indices.map((index) => texts[index] ?? '');
      const batch = await this.embedBatch(input, options.signal);
      indices.forEach((inputIndex, position) => {
        vectors[inputIndex] = checkedUnitVector(batch[position], this.dimensions, this.model);
      });
    }
    return vectors;
  }

  private async embedBatch(input: string[], signal: AbortSignal | undefined): Promise<unknown[]> {
    if (!this.useLegacyRoute) {
      const response = await this.post('/api/embed', { model: this.model, input }, signal);
      if (response !== undefined) {
        const embeddings = (response as { embeddings?: unknown }).embeddings;
        if (!Array.isArray(embeddings) || embeddings.length !== input.length) {
          const count = Array.isArray(embeddings) ? embeddings.length : 'no';
          throw new EmbeddingError(`${this.describe()} returned ${count} embeddings for ${input.length} inputs`);
        }
        return embeddings;
      }
      this.useLegacyRoute = true;
      this.logger.warn({ model: this.model }, 'Ollama has no /api/embed; falling back to /api/embeddings (upgrade Ollama)');
    }
    const vectors: unknown[] = [];
    for (const prompt of input) {
      const response = await this.post('/api/embeddings', { model: this.model, prompt }, signal);
      if (response === undefined) {
        throw new EmbeddingError(`${this.describe()} has neither /api/embed nor /api/embeddings; is it an Ollama server?`);
      }
      vectors.push((response as { embedding?: unknown }).embedding);
    }
    return vectors;
  }

  /** The parsed JSON body, or undefined when the route itself does not exist (plain-text 404). */
  private async post(route: string, body: object, signal: AbortSignal | undefined): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(route, body, signal);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        // EmbeddingError means the request itself is wrong; everything else is the server or the network.
        if (err instanceof EmbeddingError || attempt >= this.settings.maxRetries) {
          throw this.toEmbeddingError(err, attempt + 1);
        }
        const delay = Math.min(this.retryBaseDelayMs * 2 ** attempt, MAX_RETRY_DELAY_MS);
        this.logger.warn({ model: this.model, attempt: attempt + 1, delayMs: delay, err }, 'Ollama embedding failed; retrying');
        await sleep(delay, undefined, { signal }).catch(() => {
          throw signal?.reason;
        });
      }
    }
  }

  private async attempt(route: string, body: object, signal: AbortSignal | undefined): Promise<unknown> {
    // The timeout covers one attempt, like the SDK's, so a retry gets the full budget again.
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const response = await fetch(`${this.baseUrl}${route}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.settings.apiKey ? { authorization: `Bearer ${this.settings.apiKey}` } : {}),
      },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await response.text();
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      throw new RetryableResponse(response.status, text);
    }
    const isJson = (response.headers.get('content-type') ?? '').includes('json');
    if (response.status === 404 && !isJson) return undefined;
    if (!response.ok) {
      throw new EmbeddingError(`${this.describe()} failed with HTTP ${response.status}: ${errorText(text)}`, {
        status: response.status,
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new EmbeddingError(`${this.describe()} returned a body that is not JSON: ${text.slice(0, 200)}`, {
        cause: err,
      });
    }
  }

  private toEmbeddingError(err: unknown, attempts: number): EmbeddingError {
    if (err instanceof EmbeddingError) return err;
    if (err instanceof RetryableResponse) {
      return new EmbeddingError(
        `${this.describe()} failed with HTTP ${err.status} after ${attempts} attempt(s): ${errorText(err.body)}`,
        { status: err.status, cause: err },
      );
    }
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    const what = timedOut ? `timed out (${this.settings.timeoutMs} ms per attempt)` : 'could not connect';
    const reason = err instanceof Error && !timedOut ? `: ${err.cause instanceof Error ? err.cause.message : err.message}` : '';
    return new EmbeddingError(`${this.describe()} ${what} after ${attempts} attempt(s)${reason}`, { cause: err });
  }

  private describe(): string {
    return `Ollama embedding model ${this.model} at ${redactUrl(this.baseUrl)}`;
  }
}

/** Ollama reports errors as `{"error": "…"}`. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // Not JSON: show the raw start of it.
  }
  return body.slice(0, 200);
}
