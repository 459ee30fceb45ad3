import type { EmbeddingSettings, ProviderSettings } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { BuiltinEmbeddings } from './embeddings/builtin-embeddings.js';
import { OllamaEmbeddings } from './embeddings/ollama-embeddings.js';
import { OpenAiCompatibleEmbeddings } from './embeddings/openai-compatible-embeddings.js';
import { OpenAiCompatibleLlm } from './llm/openai-compatible-llm.js';
import { redactUrl } from './redact-url.js';
import type { EmbeddingProvider, LlmProvider } from './types.js';

export interface ProviderDescription {
  llm: { provider: string; model: string } | null;
  embedding: { provider: string; model: string; dimensions: number };
}

export interface Providers {
  /** null: no LLM configured; the pipeline falls back to its built-in generators. */
  llm: LlmProvider | null;
  embeddings: EmbeddingProvider;
  /** What is in use, for health output and task logs. Holds no URLs or keys. */
  describe(): ProviderDescription;
}

/** Built once at start-up from the config slice; nothing here opens a connection yet. */
export function createProviders(settings: ProviderSettings, logger: Logger): Providers {
  const llm = settings.llm ? new OpenAiCompatibleLlm(settings.llm, logger.child({ component: 'llm' })) : null;
  const embeddings = createEmbeddings(settings.embedding, logger.child({ component: 'embeddings' }));
  const description: ProviderDescription = {
    llm: llm ? { provider: llm.name, model: llm.model } : null,
    embedding: { provider: embeddings.name, model: embeddings.model, dimensions: embeddings.dimensions },
  };
  logger.info(
    {
      llm: description.llm && settings.llm ? { ...description.llm, endpoint: redactUrl(settings.llm.baseUrl) } : null,
      embedding: description.embedding,
    },
    'Model providers ready',
  );
  return { llm, embeddings, describe: () => structuredClone(description) };
}

function createEmbeddings(settings: EmbeddingSettings, logger: Logger): EmbeddingProvider {
  switch (settings.provider) {
    case 'openai': {
      // Unlike the SDK, never default to api.openai.com: business text must not leave by accident.
      if (!settings.baseUrl) {
        throw new ConfigError('The "openai" embedding provider needs a base URL (the OpenAI-compatible /v1 root)');
      }
      return new OpenAiCompatibleEmbeddings({ ...settings, baseUrl: settings.baseUrl }, logger);
    }
    case 'ollama':
      return new OllamaEmbeddings(settings, logger);
    case 'builtin':
      return new BuiltinEmbeddings(settings.dimensions);
  }
}
