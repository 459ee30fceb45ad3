import { describe, expect, it } from 'vitest';
import { LlmError } from '../types.js';
import { extractJson } from './extract-json.js';

describe('extractJson', () => {
  it.each([
    ['the whole reply', '{"a": 1}', { a: 1 }],
    ['a ```json fence', 'Result:\n```json\n{"a": [1, 2]}\n```', { a: [1, 2] }],
    ['a bare ``` fence', '```\n[1, 2]\n```', [1, 2]],
    ['an object inside prose', 'Sure, here it is: {"sql": "SELECT \'}\' AS x"} hope it helps', { sql: "SELECT '}' AS x" }],
    ['an array inside prose', 'Questions: ["a", "b"].', ['a', 'b']],
    ['an object after a non-JSON bracket', 'See [note] below: {"ok": true}', { ok: true }],
    ['escaped quotes in strings', 'x {"q": "say \\"hi\\" {"} y', { q: 'say "hi" {' }],
    ['a fence that does not parse, then bare JSON', '```json\n{broken\n```\nretry: {"a": 2}', { a: 2 }],
  ])('parses %s', (_label, reply, expected) => {
    expect(extractJson(reply)).toEqual(expected);
  });

  it('throws LlmError with the start of the reply when nothing parses', () => {
    const reply = `No JSON {here} ${'x'.repeat(300)}`;
    expect(() => extractJson(reply)).toThrow(LlmError);
    expect(() => extractJson(reply)).toThrow(`LLM reply is not valid JSON: ${reply.slice(0, 200)}`);
    expect(() => extractJson(reply)).not.toThrow(reply.slice(0, 201));
  });
});
