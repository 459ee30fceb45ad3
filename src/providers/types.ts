/**
 * The two seams between the pipeline and the models it talks to. Everything behind them is swappable:
 * any OpenAI-compatible chat endpoint for the LLM, and OpenAI-compatible, Ollama or the built-in
 * lexical embedding for vectors.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatOptions {
  /**
   * Cancels the request. A caller's abort rejects with `signal.reason` (an AbortError by default),
   * not with LlmError, so cancellation is never mistaken for a provider failure.
   */
  signal?: AbortSignal;
  /** Overrides the configured temperature for this call. */
  temperature?: number;
  maxTokens?: number;
}

export interface LlmProvider {
  /** 'openai-compatible' */
  readonly name: string;
  readonly model: string;
  /** The reply text without reasoning (`<think>`) blocks. Never empty: an empty reply throws LlmError. */
  chat(messages: ChatMessage[], options?: ChatOptions): Promise<string>;
  /** The reply parsed as JSON (fenced block first, else the first balanced object/array). Throws LlmError. */
  chatJson<T = unknown>(messages: ChatMessage[], options?: ChatOptions): Promise<T>;
}

export interface EmbedOptions {
  /** Cancels the request; rejects with `signal.reason`, like ChatOptions.signal. */
  signal?: AbortSignal;
}

export interface EmbeddingProvider {
  /** 'openai-compatible' | 'ollama' | 'builtin' */
  readonly name: string;
  readonly model: string;
  readonly dimensions: number;
  /**
   * One vector per input, in input order, each exactly `dimensions` long and L2-normalised.
   * Blank inputs get the zero vector (nothing to embed, and OpenAI rejects empty strings).
   */
  embed(texts: string[], options?: EmbedOptions): Promise<number[][]>;
}

export interface LlmErrorOptions {
  /** HTTP status of the failed response, when there was one. */
  status?: number;
  cause?: unknown;
}

export class LlmError extends Error {
  override readonly name = 'LlmError';
  readonly status: number | undefined;

  constructor(message: string, options: LlmErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
  }
}

export class EmbeddingError extends Error {
  override readonly name = 'EmbeddingError';
  readonly status: number | undefined;

  constructor(message: string, options: LlmErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
  }
}
