import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the raw text. */
  body: unknown;
}

export interface ScriptedResponse {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings are sent as they are (text/plain unless headers say otherwise). */
  body?: unknown;
  /** Never answer: for timeout tests. The socket is destroyed by close(). */
  hang?: boolean;
}

export type ScriptedReply = ScriptedResponse | ((request: RecordedRequest) => ScriptedResponse);

/**
 * A stand-in for an OpenAI-compatible or Ollama server on 127.0.0.1 (there is no network in CI).
 * Every request is recorded; replies come from a queue, one per request, then from the fallback.
 */
export class FakeOpenAiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: ScriptedReply[] = [];
  private fallback: ScriptedReply = { status: 500, body: { error: { message: 'no scripted response left' } } };

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<FakeOpenAiServer> {
    let instance: FakeOpenAiServer | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        instance?.handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: parseBody(raw) }, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    instance = new FakeOpenAiServer(server, `http://127.0.0.1:${port}`);
    return instance;
  }

  /** The OpenAI-style base URL (`…/v1`). */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** Replies for the next requests, in order. */
  enqueue(...replies: ScriptedReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** The reply once the queue is empty. */
  otherwise(reply: ScriptedReply): this {
    this.fallback = reply;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: RecordedRequest, res: ServerResponse): void {
    this.requests.push(request);
    const reply = this.queue.shift() ?? this.fallback;
    const response = typeof reply === 'function' ? reply(request) : reply;
    if (response.hang) return;
    const isText = typeof response.body === 'string';
    const payload = response.body === undefined ? '' : isText ? (response.body as string) : JSON.stringify(response.body);
    res.writeHead(response.status ?? 200, {
      'content-type': isText ? 'text/plain' : 'application/json',
      ...response.headers,
    });
    res.end(payload);
  }
}

/** An OpenAI chat completion whose only choice says `content`. */
export function chatCompletion(content: string | null, model = 'test-model'): object {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  };
}

/** An OpenAI embeddings response; `order` lists input positions in the order the items are sent. */
export function embeddingList(vectors: number[][], order: number[] = vectors.map((_, i) => i)): object {
  return {
    object: 'list',
    model: 'test-embedding',
    data: order.map((index) => ({ object: 'embedding', index, embedding: vectors[index] })),
    usage: { prompt_tokens: 0, total_tokens: 0 },
  };
}

function parseBody(raw: string): unknown {
  try {
    return raw === '' ? undefined : (JSON.parse(raw) as unknown);
  } catch {
    return raw;
  }
}
