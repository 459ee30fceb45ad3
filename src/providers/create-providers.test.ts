import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EmbeddingSettings } from '../config.js';
import { ConfigError } from '../errors.js';
import { createProviders } from './create-providers.js';
import { BUILTIN_EMBEDDING_MODEL } from './embeddings/builtin-embeddings.js';

const logger = pino({ level: 'silent' });
const embedding: EmbeddingSettings = {
  provider: 'builtin',
  model: 'ignored',
  dimensions: 256,
  batchSize: 16,
  timeoutMs: 30_000,
  maxRetries: 2,
};

describe('createProviders', () => {
  it('works fully offline: no LLM and the built-in embedding', async () => {
    const providers = createProviders({ embedding }, logger);
    expect(providers.llm).toBeNull();
    expect(providers.describe()).toEqual({
      llm: null,
      embedding: { provider: 'builtin', model: BUILTIN_EMBEDDING_MODEL, dimensions: 256 },
    });
    const [vector] = await providers.embeddings.embed(['hello']);
    expect(vector).toHaveLength(256);
  });

  it('wires the configured LLM and embedding endpoints without exposing URLs or keys', () => {
    const providers = createProviders(
      {
        llm: { baseUrl: 'https://llm.example/v1', apiKey: 'sk-secret', model: 'deepseek-chat', timeoutMs: 60_000, maxRetries: 2 },
        embedding: { ...embedding, provider: 'openai', baseUrl: 'https://emb.example/v1', model: 'text-embedding-v4', dimensions: 1024 },
      },
      logger,
    );
    expect(providers.llm?.model).toBe('deepseek-chat');
    const description = providers.describe();
    expect(description).toEqual({
      llm: { provider: 'openai-compatible', model: 'deepseek-chat' },
      embedding: { provider: 'openai-compatible', model: 'text-embedding-v4', dimensions: 1024 },
    });
    expect(JSON.stringify(description)).not.toMatch(/example|secret/);
  });

  it('builds the Ollama provider, defaulting to the local server', () => {
    const providers = createProviders({ embedding: { ...embedding, provider: 'ollama', model: 'bge-m3' } }, logger);
    expect(providers.describe().embedding).toEqual({ provider: 'ollama', model: 'bge-m3', dimensions: 256 });
  });

  it('refuses an OpenAI-compatible embedding without a base URL or with a broken one', () => {
    expect(() => createProviders({ embedding: { ...embedding, provider: 'openai' } }, logger)).toThrow(ConfigError);
    expect(() =>
      createProviders({ embedding: { ...embedding, provider: 'openai', baseUrl: 'not a url' } }, logger),
    ).toThrow(ConfigError);
  });
});
