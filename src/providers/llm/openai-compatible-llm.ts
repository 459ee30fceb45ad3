import { APIConnectionTimeoutError, APIError, type OpenAI } from 'openai';
import type { Logger } from '../../logger.js';
import { createOpenAiClient } from '../create-openai-client.js';
import { redactUrl } from '../redact-url.js';
import type { LlmSettings } from '../../config.js';
import { LlmError, type ChatMessage, type ChatOptions, type LlmProvider } from '../types.js';
import { extractJson } from './extract-json.js';
import { stripThinking } from './strip-thinking.js';

/**
 * Any OpenAI-compatible chat endpoint: OpenAI, DashScope (Qwen), DeepSeek, Ollama's /v1, vLLM.
 *
 * Retries live in the SDK (see createOpenAiClient): 429, 5xx and connection errors are retried
 * `maxRetries` times with backoff and Retry-After honoured, so this class never loops by itself.
 * Whatever still fails becomes an LlmError; a failure is never turned into reply text, because
 * downstream steps would store an apology as training data.
 */
export class OpenAiCompatibleLlm implements LlmProvider {
  readonly name = 'openai-compatible';
  readonly model: string;
  private readonly client: OpenAI;
  private readonly endpoint: string;

  constructor(
    private readonly settings: LlmSettings,
    private readonly logger: Logger,
  ) {
    this.model = settings.model;
    this.endpoint = redactUrl(settings.baseUrl);
    this.client = createOpenAiClient(settings, 'LLM', logger.child({ component: 'llm-sdk' }));
  }

  async chat(messages: ChatMessage[], options: ChatOptions = {}): Promise<string> {
    const completion = await this.complete(messages, options);
    // A 200 whose body is not JSON comes back from the SDK as a bare string, typed as a completion.
    const choices: unknown = typeof completion === 'object' && completion !== null ? completion.choices : undefined;
    if (!Array.isArray(choices) || choices.length === 0) {
      throw new LlmError(`${this.describe()} returned no choices; the endpoint may not be OpenAI-compatible`);
    }
    const choice = choices[0] as { message?: { content?: unknown }; finish_reason?: unknown };
    const content = choice.message?.content;
    const reply = typeof content === 'string' ? stripThinking(content) : '';
    if (reply === '') {
      const finish = typeof choice.finish_reason === 'string' ? ` (finish_reason: ${choice.finish_reason})` : '';
      throw new LlmError(`${this.describe()} returned an empty reply${finish}; raise max tokens or check the model`);
    }
    return reply;
  }

  async chatJson<T = unknown>(messages: ChatMessage[], options: ChatOptions = {}): Promise<T> {
    return extractJson(await this.chat(messages, options)) as T;
  }

  private async complete(messages: ChatMessage[], options: ChatOptions) {
    try {
      return await this.client.chat.completions.create(
        {
          // Provider-specific fields first (e.g. DashScope's `enable_thinking: false`, which Qwen3
          // requires for non-streaming calls); the SDK sends unknown keys as they are.
          ...this.settings.extraBody,
          model: this.model,
          messages,
          temperature: options.temperature ?? this.settings.temperature,
          max_tokens: options.maxTokens,
        },
        { signal: options.signal },
      );
    } catch (err) {
      // Cancellation is the caller's decision, not a provider failure: surface it as the abort itself.
      if (options.signal?.aborted) throw options.signal.reason;
      const error = this.toLlmError(err);
      this.logger.warn({ err: error, model: this.model, endpoint: this.endpoint }, 'LLM request failed');
      throw error;
    }
  }

  private toLlmError(err: unknown): LlmError {
    const attempts = `after ${this.settings.maxRetries + 1} attempt(s)`;
    if (err instanceof APIConnectionTimeoutError) {
      return new LlmError(`${this.describe()} timed out (${this.settings.timeoutMs} ms per attempt) ${attempts}`, {
        cause: err,
      });
    }
    if (err instanceof APIError && err.status !== undefined) {
      return new LlmError(`${this.describe()} failed with HTTP ${err.status}: ${err.message}`, {
        status: err.status,
        cause: err,
      });
    }
    if (err instanceof APIError) {
      return new LlmError(`${this.describe()} could not connect ${attempts}: ${err.message}`, { cause: err });
    }
    // e.g. a 200 that claims application/json but is not parseable.
    const message = err instanceof Error ? err.message : String(err);
    return new LlmError(`${this.describe()} failed: ${message}`, { cause: err });
  }

  private describe(): string {
    return `LLM ${this.model} at ${this.endpoint}`;
  }
}
