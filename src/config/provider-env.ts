import { z } from 'zod';
import { httpUrl } from './env-fields.js';

/** LLM and embedding endpoints (unset: the built-in offline providers). */
export const providerEnv = {
  /** OpenAI-compatible chat endpoint (…/v1). Unset: the built-in offline generators run. */
  LLM_BASE_URL: httpUrl().optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  /** Model name, e.g. qwen-plus, deepseek-chat, gpt-4o-mini, qwen2.5:7b (Ollama). Required with LLM_BASE_URL. */
  LLM_MODEL: z.string().min(1).optional(),
  /** Per HTTP attempt, ms. LLM replies for a table or a theme can take a minute. */
  LLM_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
  /** Retries on 429/5xx/timeouts (the openai SDK's backoff). */
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).optional(),
  /** JSON object merged into every chat request, e.g. {"enable_thinking": false} for DashScope Qwen3. */
  LLM_EXTRA_BODY: z
    .string()
    .transform((text, ctx) => {
      try {
        const value: unknown = JSON.parse(text);
        if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"enable_thinking": false}' });
      return z.NEVER;
    })
    .optional(),
  /** openai (OpenAI-compatible /embeddings), ollama, or builtin (offline lexical hashing). Default: openai when EMBEDDING_BASE_URL is set, else builtin. */
  EMBEDDING_PROVIDER: z.enum(['openai', 'ollama', 'builtin']).optional(),
  EMBEDDING_BASE_URL: httpUrl().optional(),
  EMBEDDING_API_KEY: z.string().min(1).optional(),
  /** Default: text-embedding-v4 (openai), bge-m3 (ollama). */
  EMBEDDING_MODEL: z.string().min(1).optional(),
  /** Vector width; 1024 matches the original's text-embedding-v4 vectors. */
  EMBEDDING_DIMENSIONS: z.coerce.number().int().min(8).max(16_000).default(1024),
  EMBEDDING_BATCH_SIZE: z.coerce.number().int().min(1).max(2048).default(10),
  EMBEDDING_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  EMBEDDING_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
};
