import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { embeddingList, FakeOpenAiServer, type RecordedRequest } from '../../../test/helpers/fake-openai-server.js';
import { EmbeddingError } from '../types.js';
import { OpenAiCompatibleEmbeddings, type OpenAiCompatibleEmbeddingSettings } from './openai-compatible-embeddings.js';

const logger = pino({ level: 'silent' });
let server: FakeOpenAiServer;

beforeEach(async () => {
  server = await FakeOpenAiServer.start();
});

afterEach(async () => {
  await server.close();
});

function embeddings(overrides: Partial<OpenAiCompatibleEmbeddingSettings> = {}): OpenAiCompatibleEmbeddings {
  return new OpenAiCompatibleEmbeddings(
    {
      provider: 'openai',
      baseUrl: server.baseUrl,
      apiKey: 'sk-emb',
      model: 'text-embedding-v4',
      dimensions: 3,
      batchSize: 2,
      timeoutMs: 5_000,
      maxRetries: 1,
      ...overrides,
    },
    logger,
  );
}

/** Answers input `tN` with the vector [N, 1, 0], so every output can be traced back to its input. */
function echoNumbers(request: RecordedRequest) {
  const input = (request.body as { input: string[] }).input;
  return { body: embeddingList(input.map((text) => [Number(text.replace(/\D/g, '')), 1, 0])) };
}

const norm = (vector: number[]) => Math.hypot(...vector);

describe('OpenAiCompatibleEmbeddings', () => {
  it('batches by batchSize, keeps input order and normalises', async () => {
    server.otherwise(echoNumbers);
    const vectors = await embeddings().embed(['t1', 't2', 't3', 't4', 't5']);

    expect(server.requests.map((r) => (r.body as { input: string[] }).input)).toEqual([
      ['t1', 't2'],
      ['t3', 't4'],
      ['t5'],
    ]);
    const first = server.requests[0];
    expect(first?.path).toBe('/v1/embeddings');
    expect(first?.headers.authorization).toBe('Bearer sk-emb');
    expect(first?.body).toMatchObject({ model: 'text-embedding-v4', encoding_format: 'float', dimensions: 3 });
    expect(vectors).toHaveLength(5);
    for (const [i, vector] of vectors.entries()) {
      expect(norm(vector)).toBeCloseTo(1, 12);
      expect((vector[0] ?? 0) / (vector[1] ?? 1)).toBeCloseTo(i + 1, 9);
    }
  });

  it('puts items back by their index when the server returns them out of order', async () => {
    server.enqueue({ body: embeddingList([[1, 0, 0], [0, 2, 0]], [1, 0]) });
    expect(await embeddings({ batchSize: 10 }).embed(['a', 'b'])).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });

  it('gives blank inputs the zero vector without sending them', async () => {
    server.otherwise(echoNumbers);
    const vectors = await embeddings({ batchSize: 10 }).embed(['', 'x1', '   ', 'x2']);
    expect(server.requests).toHaveLength(1);
    expect((server.requests[0]?.body as { input: string[] }).input).toEqual(['x1', 'x2']);
    expect(vectors[0]).toEqual([0, 0, 0]);
    expect(vectors[2]).toEqual([0, 0, 0]);
    expect(norm(vectors[1] ?? [])).toBeCloseTo(1, 12);
    expect(norm(vectors[3] ?? [])).toBeCloseTo(1, 12);
  });

  it('makes no request for an empty or all-blank list', async () => {
    expect(await embeddings().embed([])).toEqual([]);
    expect(await embeddings().embed([''])).toEqual([[0, 0, 0]]);
    expect(server.requests).toHaveLength(0);
  });

  it('throws EmbeddingError naming expected and actual dimensions', async () => {
    server.enqueue({ body: embeddingList([[1, 2, 3, 4]]) });
    const err = await embeddings().embed(['a']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingError);
    expect((err as Error).message).toMatch(/text-embedding-v4 returned 4 dimensions, expected 3/);
  });

  it('stops sending dimensions when the endpoint rejects it, and remembers that', async () => {
    server
      .enqueue({ status: 400, body: { error: { message: 'dimensions is not supported for this model' } } })
      .otherwise(echoNumbers);
    const client = embeddings({ batchSize: 1 });
    await client.embed(['a1', 'a2']);
    const sent = server.requests.map((r) => 'dimensions' in (r.body as object));
    expect(sent).toEqual([true, false, false]);
  });

  it('retries a 503 through the SDK and reports the status when it persists', async () => {
    server.otherwise({ status: 503, headers: { 'retry-after': '0' }, body: { error: { message: 'overloaded' } } });
    const err = await embeddings({ maxRetries: 1 }).embed(['a']).catch((e: unknown) => e);
    expect(server.requests).toHaveLength(2);
    expect(err).toBeInstanceOf(EmbeddingError);
    expect(err).toMatchObject({ status: 503 });
    expect((err as Error).message).toContain('HTTP 503');
  });
});
