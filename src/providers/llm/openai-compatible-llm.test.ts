import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LlmSettings } from '../../config.js';
import { ConfigError } from '../../errors.js';
import { chatCompletion, FakeOpenAiServer } from '../../../test/helpers/fake-openai-server.js';
import { LlmError } from '../types.js';
import { OpenAiCompatibleLlm } from './openai-compatible-llm.js';

const logger = pino({ level: 'silent' });
const messages = [
  { role: 'system' as const, content: 'You write SQL.' },
  { role: 'user' as const, content: 'Count the orders.' },
];

let server: FakeOpenAiServer;

beforeEach(async () => {
  server = await FakeOpenAiServer.start();
});

afterEach(async () => {
  await server.close();
});

function llm(overrides: Partial<LlmSettings> = {}): OpenAiCompatibleLlm {
  return new OpenAiCompatibleLlm(
    { baseUrl: server.baseUrl, apiKey: 'sk-test', model: 'qwen-plus', timeoutMs: 5_000, maxRetries: 2, ...overrides },
    logger,
  );
}

async function llmError(promise: Promise<unknown>): Promise<LlmError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

describe('OpenAiCompatibleLlm.chat', () => {
  it('returns the reply and sends model, messages and the bearer key', async () => {
    server.enqueue({ body: chatCompletion('  SELECT count(*) FROM orders;  ') });
    const reply = await llm({ temperature: 0.2 }).chat(messages, { maxTokens: 256 });

    expect(reply).toBe('SELECT count(*) FROM orders;');
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toMatchObject({ model: 'qwen-plus', messages, temperature: 0.2, max_tokens: 256 });
    expect(request?.body).not.toHaveProperty('stream', true);
  });

  it('sends the configured extra body fields (DashScope Qwen3 needs enable_thinking: false), never over model/messages', async () => {
    server.enqueue({ body: chatCompletion('ok') });
    await llm({ extraBody: { enable_thinking: false, model: 'not-this-one' } }).chat(messages);
    expect(server.requests[0]?.body).toMatchObject({ enable_thinking: false, model: 'qwen-plus', messages });
  });

  it('sends a placeholder key to servers that need none', async () => {
    server.enqueue({ body: chatCompletion('ok') });
    await llm({ apiKey: undefined }).chat(messages);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer not-needed');
  });

  it('strips <think> blocks, including one whose opening tag was in the prompt', async () => {
    server.enqueue(
      { body: chatCompletion('<think>\nThe user wants a count.\n</think>\n\nSELECT 1;') },
      { body: chatCompletion('reasoning that began in the template</think>SELECT 2;') },
    );
    expect(await llm().chat(messages)).toBe('SELECT 1;');
    expect(await llm().chat(messages)).toBe('SELECT 2;');
  });

  it('retries a 429 as told by retry-after and then succeeds', async () => {
    server.enqueue(
      { status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'rate limited' } } },
      { body: chatCompletion('after the wait') },
    );
    expect(await llm().chat(messages)).toBe('after the wait');
    expect(server.requests).toHaveLength(2);
  });

  it('gives up on a persistent 500 after maxRetries + 1 attempts', async () => {
    server.otherwise({ status: 500, headers: { 'retry-after': '0' }, body: { error: { message: 'boom' } } });
    const err = await llmError(llm({ maxRetries: 2 }).chat(messages));
    expect(server.requests).toHaveLength(3);
    expect(err.status).toBe(500);
    expect(err.message).toContain('qwen-plus');
    expect(err.message).toContain(server.baseUrl);
    expect(err.message).toContain('HTTP 500');
  });

  it('does not retry a 400', async () => {
    server.enqueue({ status: 400, body: { error: { message: 'model not found' } } });
    const err = await llmError(llm({ maxRetries: 2 }).chat(messages));
    expect(server.requests).toHaveLength(1);
    expect(err.status).toBe(400);
    expect(err.message).toContain('model not found');
  });

  it('refuses a base URL carrying credentials, without repeating them', () => {
    const baseUrl = server.baseUrl.replace('http://', 'http://user:secret@');
    expect(() => llm({ baseUrl })).toThrow(ConfigError);
    expect(() => llm({ baseUrl })).not.toThrow(/secret/);
    expect(() => llm({ baseUrl: `${server.baseUrl}?api-key=secret` })).toThrow(/query string/);
  });

  it.each([
    ['a body that is not JSON', { body: 'Service Unavailable (proxy)' }, /no choices/],
    ['no choices', { body: { ...chatCompletion('x'), choices: [] } }, /no choices/],
    ['null content', { body: chatCompletion(null) }, /empty reply/],
    ['only reasoning', { body: chatCompletion('<think>still thinking when cut off') }, /empty reply/],
    ['broken JSON under a JSON content type', { body: '{"choices": [', headers: { 'content-type': 'application/json' } }, /failed/],
  ])('throws LlmError for %s', async (_label, response, message) => {
    server.enqueue(response);
    const err = await llmError(llm().chat(messages));
    expect(err.message).toMatch(message);
    expect(err.message).toContain('qwen-plus');
  });

  it('times out a server that never answers', async () => {
    server.otherwise({ hang: true });
    // The server never answers: only the client's own timeout can end this call (the test's
    // timeout is the backstop), so no clock reading is needed to show it fired.
    const err = await llmError(llm({ timeoutMs: 200, maxRetries: 0 }).chat(messages));
    expect(err.message).toMatch(/timed out/);
    expect(server.requests).toHaveLength(1);
  });

  it("rejects with the caller's abort reason, not LlmError", async () => {
    server.otherwise({ hang: true });
    const controller = new AbortController();
    const pending = llm().chat(messages, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('OpenAiCompatibleLlm.chatJson', () => {
  it('parses a fenced JSON block', async () => {
    server.enqueue({ body: chatCompletion('Here you go:\n```json\n{"questions": ["a", "b"]}\n```\nAnything else?') });
    expect(await llm().chatJson(messages)).toEqual({ questions: ['a', 'b'] });
  });

  it('parses bare JSON inside prose, after the reasoning is stripped', async () => {
    server.enqueue({ body: chatCompletion('<think>{not json}</think>Sure! [{"sql": "SELECT 1"}] Done.') });
    expect(await llm().chatJson<Array<{ sql: string }>>(messages)).toEqual([{ sql: 'SELECT 1' }]);
  });

  it('throws LlmError quoting the reply when there is no JSON', async () => {
    server.enqueue({ body: chatCompletion('I am sorry, I cannot help with that.') });
    const err = await llmError(llm().chatJson(messages));
    expect(err.message).toBe('LLM reply is not valid JSON: I am sorry, I cannot help with that.');
  });
});
