import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOpenAiServer } from '../../../test/helpers/fake-openai-server.js';
import type { EmbeddingSettings } from '../../config.js';
import { EmbeddingError } from '../types.js';
import { OllamaEmbeddings } from './ollama-embeddings.js';

const logger = pino({ level: 'silent' });
let server: FakeOpenAiServer;

beforeEach(async () => {
  server = await FakeOpenAiServer.start();
});

afterEach(async () => {
  await server.close();
});

function ollama(overrides: Partial<EmbeddingSettings> = {}): OllamaEmbeddings {
  return new OllamaEmbeddings(
    {
      provider: 'ollama',
      baseUrl: server.origin,
      model: 'bge-m3',
      dimensions: 2,
      batchSize: 10,
      timeoutMs: 5_000,
      maxRetries: 2,
      ...overrides,
    },
    logger,
    { retryBaseDelayMs: 5 },
  );
}

async function embeddingError(promise: Promise<unknown>): Promise<EmbeddingError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EmbeddingError);
  return err as EmbeddingError;
}

describe('OllamaEmbeddings', () => {
  it('posts {model, input[]} to /api/embed and normalises the result', async () => {
    server.enqueue({ body: { model: 'bge-m3', embeddings: [[3, 4], [0, 2]] } });
    const vectors = await ollama().embed(['first', 'second']);

    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/api/embed', body: { model: 'bge-m3', input: ['first', 'second'] } });
    expect(vectors[0]?.[0]).toBeCloseTo(0.6, 12);
    expect(vectors[0]?.[1]).toBeCloseTo(0.8, 12);
    expect(vectors[1]).toEqual([0, 1]);
  });

  it('accepts the OpenAI-style …/v1 URL and batches, skipping blanks', async () => {
    server.otherwise((request) => ({
      body: { embeddings: (request.body as { input: string[] }).input.map(() => [1, 1]) },
    }));
    const vectors = await ollama({ baseUrl: server.baseUrl, batchSize: 2 }).embed(['a', '', 'b', 'c']);
    expect(server.requests.map((r) => [r.path, (r.body as { input: string[] }).input])).toEqual([
      ['/api/embed', ['a', 'b']],
      ['/api/embed', ['c']],
    ]);
    expect(vectors[1]).toEqual([0, 0]);
    expect(vectors[3]?.[0]).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('retries a 503 and then succeeds', async () => {
    server.enqueue({ status: 503, body: { error: 'server busy' } }, { body: { embeddings: [[0, 5]] } });
    expect(await ollama().embed(['x'])).toEqual([[0, 1]]);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after maxRetries + 1 attempts with the status and Ollama’s error text', async () => {
    server.otherwise({ status: 500, body: { error: 'llama runner process has terminated' } });
    const err = await embeddingError(ollama({ maxRetries: 2 }).embed(['x']));
    expect(server.requests).toHaveLength(3);
    expect(err.status).toBe(500);
    expect(err.message).toContain('llama runner process has terminated');
    expect(err.message).toContain('after 3 attempt(s)');
  });

  it('does not retry a missing model (JSON 404)', async () => {
    server.enqueue({ status: 404, body: { error: 'model "bge-m3" not found, try pulling it first' } });
    const err = await embeddingError(ollama().embed(['x']));
    expect(server.requests).toHaveLength(1);
    expect(err.message).toContain('try pulling it first');
  });

  it('falls back to /api/embeddings on servers without /api/embed', async () => {
    server.enqueue({ status: 404, body: '404 page not found' }).otherwise({ body: { embedding: [2, 0] } });
    const client = ollama();
    expect(await client.embed(['a', 'b'])).toEqual([
      [1, 0],
      [1, 0],
    ]);
    await client.embed(['c']);
    expect(server.requests.map((r) => r.path)).toEqual(['/api/embed', '/api/embeddings', '/api/embeddings', '/api/embeddings']);
    expect(server.requests[1]?.body).toEqual({ model: 'bge-m3', prompt: 'a' });
  });

  it('throws EmbeddingError on a dimension mismatch', async () => {
    server.enqueue({ body: { embeddings: [[1, 2, 3]] } });
    const err = await embeddingError(ollama().embed(['x']));
    expect(err.message).toMatch(/bge-m3 returned 3 dimensions, expected 2/);
  });

  it('times out each attempt and retries it', async () => {
    server.otherwise({ hang: true });
    const err = await embeddingError(ollama({ timeoutMs: 100, maxRetries: 1 }).embed(['x']));
    expect(server.requests).toHaveLength(2);
    expect(err.message).toMatch(/timed out \(100 ms per attempt\) after 2 attempt/);
  });

  it("rejects with the caller's abort reason", async () => {
    server.otherwise({ hang: true });
    const controller = new AbortController();
    const pending = ollama().embed(['x'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
