import { describe, expect, it } from 'vitest';
import { stripThinking } from './strip-thinking.js';

describe('stripThinking', () => {
  it.each([
    ['plain answer', '  SELECT 1;  ', 'SELECT 1;'],
    ['a leading block', '<think>why</think>\nSELECT 1;', 'SELECT 1;'],
    ['several blocks, any case', 'A<THINK>x</THINK>B<think>\ny\n</think>C', 'ABC'],
    ['an orphan closing tag', 'reasoning opened by the template</think>\n\nSELECT 1;', 'SELECT 1;'],
    ['an orphan close before a full block', 'r1</think>A<think>r2</think>B', 'AB'],
    ['an unclosed block (cut off)', '<think>still going', ''],
    ['an unclosed block after the answer', 'SELECT 1;<think>more', 'SELECT 1;'],
  ])('handles %s', (_label, input, expected) => {
    expect(stripThinking(input)).toBe(expected);
  });
});
