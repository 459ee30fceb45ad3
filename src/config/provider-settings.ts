// The providers' settings: plain data filled from the environment above; providers/ imports
// them from here, so config.ts depends on no provider.

export interface LlmSettings {
  /** e.g. https://dashscope.aliyuncs.com/compatible-mode/v1, http://localhost:11434/v1 */
  baseUrl: string;
  /** Local servers (Ollama, vLLM) need none. */
  apiKey?: string;
  model: string;
  /** Per HTTP attempt, not per call: a call can take up to (maxRetries + 1) × timeoutMs plus backoff. */
  timeoutMs: number;
  maxRetries: number;
  temperature?: number;
  /** Extra request-body fields for this provider (LLM_EXTRA_BODY), e.g. `{"enable_thinking": false}`. */
  extraBody?: Record<string, unknown>;
}

export interface EmbeddingSettings {
  provider: 'openai' | 'ollama' | 'builtin';
  /** Required for 'openai'; 'ollama' defaults to http://127.0.0.1:11434; ignored by 'builtin'. */
  baseUrl?: string;
  apiKey?: string;
  model: string;
  dimensions: number;
  batchSize: number;
  /** Per HTTP attempt. */
  timeoutMs: number;
  maxRetries: number;
}

/** Plain data, filled from Config at start-up; the providers never read the environment. */
export interface ProviderSettings {
  /** Absent: no LLM is configured and the pipeline uses its built-in generators. */
  llm?: LlmSettings;
  embedding: EmbeddingSettings;
}
