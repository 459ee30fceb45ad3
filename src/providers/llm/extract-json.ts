import { LlmError } from '../types.js';

const FENCED_BLOCK = /```[ \t]*(?:json5?|jsonc)?[ \t]*\r?\n?([\s\S]*?)```/gi;

/**
 * Parses the JSON a model was asked for out of its reply. Models wrap it in prose or Markdown fences
 * however they like, so this tries, in order: the whole reply, each fenced ``` block, then every
 * balanced `{…}` / `[…]` span from left to right. The first candidate that parses wins.
 */
export function extractJson(reply: string): unknown {
  const candidates = [reply.trim(), ...fencedBlocks(reply)];
  for (const candidate of candidates) {
    const parsed = tryParse(candidate);
    if (parsed.ok) return parsed.value;
  }
  for (const span of balancedSpans(reply)) {
    const parsed = tryParse(span);
    if (parsed.ok) return parsed.value;
  }
  throw new LlmError(`LLM reply is not valid JSON: ${reply.slice(0, 200)}`);
}

function fencedBlocks(text: string): string[] {
  return [...text.matchAll(FENCED_BLOCK)].map((match) => (match[1] ?? '').trim()).filter((block) => block !== '');
}

// A local two-state value, not a service result: JSON.parse can legitimately return null/false.
function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Yields each span that starts at a `{` or `[` and ends where its brackets balance, skipping
 * brackets inside JSON strings. A span that does not balance is skipped, and scanning resumes at
 * the next opening bracket, so `see [1] below: {"a": 1}` still finds the object after a failed array.
 */
function* balancedSpans(text: string): Generator<string> {
  for (let start = 0; start < text.length; start++) {
    const open = text[start];
    if (open !== '{' && open !== '[') continue;
    const end = matchingClose(text, start);
    if (end !== -1) yield text.slice(start, end + 1);
  }
}

function matchingClose(text: string, start: number): number {
  const expected: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') expected.push('}');
    else if (ch === '[') expected.push(']');
    else if (ch === '}' || ch === ']') {
      if (expected.pop() !== ch) return -1;
      if (expected.length === 0) return i;
    }
  }
  return -1;
}
