import { APIConnectionTimeoutError, APIError, BadRequestError, UnprocessableEntityError, type OpenAI } from 'openai';
import type { Logger } from '../../logger.js';
import { createOpenAiClient } from '../create-openai-client.js';
import { redactUrl } from '../redact-url.js';
import type { EmbeddingSettings } from '../../config.js';
import { EmbeddingError, type EmbeddingProvider, type EmbedOptions } from '../types.js';
import { checkedUnitVector, chunk, nonBlankIndices, zeroVector } from './normalize-vector.js';

export interface OpenAiCompatibleEmbeddingSettings extends EmbeddingSettings {
  baseUrl: string;
}

/**
 * `POST <baseUrl>/embeddings` on any OpenAI-compatible server (OpenAI, DashScope, vLLM, Ollama's /v1 …).
 * Retries (429, 5xx, connection errors, with backoff and Retry-After) are the SDK's; see createOpenAiClient.
 */
export class OpenAiCompatibleEmbeddings implements EmbeddingProvider {
  readonly name = 'openai-compatible';
  readonly model: string;
  readonly dimensions: number;
  private readonly client: OpenAI;
  private readonly endpoint: string;
  /**
   * Only Matryoshka models (text-embedding-3-*, DashScope text-embedding-v3/v4 …) accept `dimensions`;
   * others (ada-002, most vLLM models) reject it with 400/422. The first such rejection switches it off
   * for good, provided the same batch then succeeds without it.
   */
  private sendDimensions = true;

  constructor(
    private readonly settings: OpenAiCompatibleEmbeddingSettings,
    private readonly logger: Logger,
  ) {
    this.model = settings.model;
    this.dimensions = settings.dimensions;
    this.endpoint = redactUrl(settings.baseUrl);
    this.client = createOpenAiClient(settings, 'Embedding', logger.child({ component: 'embedding-sdk' }));
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<number[][]> {
    const vectors = texts.map(() => zeroVector(this.dimensions));
    for (const indices of chunk(nonBlankIndices(texts), this.settings.batchSize)) {
      const batch = await this.embedBatch(
        indices.map((index) => texts[index] ?? ''),
        options.signal,
      );
      indices.forEach((inputIndex, position) => {
        vectors[inputIndex] = batch[position] ?? zeroVector(this.dimensions);
      });
    }
    return vectors;
  }

  private async embedBatch(input: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const response = await this.request(input, signal);
    const data: unknown = typeof response === 'object' && response !== null ? response.data : undefined;
    if (!Array.isArray(data) || data.length !== input.length) {
      throw new EmbeddingError(
        `${this.describe()} returned ${Array.isArray(data) ? data.length : 'no'} embeddings for ${input.length} inputs`,
      );
    }
    // The spec lets servers return items in any order; `index` is the only link back to the input.
    const byIndex = new Map<number, unknown>();
    for (const item of data as Array<{ index?: unknown; embedding?: unknown }>) {
      if (typeof item.index === 'number') byIndex.set(item.index, item.embedding);
    }
    return input.map((_, position) => checkedUnitVector(byIndex.get(position), this.dimensions, this.model));
  }

  private async request(input: string[], signal: AbortSignal | undefined) {
    try {
      return await this.create(input, signal);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (this.sendDimensions && (err instanceof BadRequestError || err instanceof UnprocessableEntityError)) {
        try {
          const retried = await this.create(input, signal, false);
          this.sendDimensions = false;
          this.logger.warn({ model: this.model }, 'Embedding endpoint rejects the dimensions parameter; no longer sending it');
          return retried;
        } catch {
          if (signal?.aborted) throw signal.reason;
          // The rejection was about something else: report the request as configured.
        }
      }
      throw this.toEmbeddingError(err);
    }
  }

  private create(input: string[], signal: AbortSignal | undefined, withDimensions = this.sendDimensions) {
    return this.client.embeddings.create(
      {
        model: this.model,
        input,
        // The SDK defaults to base64, which several compatible servers do not implement.
        encoding_format: 'float',
        ...(withDimensions ? { dimensions: this.dimensions } : {}),
      },
      { signal },
    );
  }

  private toEmbeddingError(err: unknown): EmbeddingError {
    if (err instanceof APIConnectionTimeoutError) {
      return new EmbeddingError(
        `${this.describe()} timed out (${this.settings.timeoutMs} ms per attempt, ${this.settings.maxRetries} retries)`,
        { cause: err },
      );
    }
    if (err instanceof APIError) {
      const status = err.status === undefined ? 'could not connect' : `failed with HTTP ${err.status}`;
      return new EmbeddingError(`${this.describe()} ${status}: ${err.message}`, { status: err.status, cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new EmbeddingError(`${this.describe()} failed: ${message}`, { cause: err });
  }

  private describe(): string {
    return `Embedding model ${this.model} at ${this.endpoint}`;
  }
}
