import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_TYPES, ValidationError } from '../errors.js';
import { findUnstorableText, parseInput } from './parse-input.js';

const Schema = z.object({
  a: z.string().min(1),
  b: z.number(),
  c: z.boolean().optional(),
  limit: z.number().optional(),
  flag: z.boolean().optional(),
  task_id: z.string().regex(/^\w+$/, '无效的task_id格式，只能包含字母、数字和下划线').optional(),
});

function failure(schema: z.ZodType, input: unknown): ValidationError {
  try {
    parseInput(schema, input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('parseInput did not throw');
}

describe('parseInput', () => {
  it('returns the parsed data on success', () => {
    expect(parseInput(Schema, { a: 'x', b: 2, extra: 1 })).toEqual({ a: 'x', b: 2 });
  });

  it('applies schema transforms and defaults', () => {
    const schema = z.object({ n: z.coerce.number().default(5), s: z.string().trim() });
    expect(parseInput(schema, { s: '  hi ' })).toEqual({ n: 5, s: 'hi' });
  });

  it('lists missing fields in declaration order', () => {
    const err = failure(Schema, { c: true });
    expect(err.status).toBe(400);
    expect(err.errorType).toBe(ERROR_TYPES.MISSING_REQUIRED_PARAMS);
    expect(err.message).toBe('缺少必需参数: a, b');
    expect(err.missingParams).toEqual(['a', 'b']);
    expect(err.invalidParams).toBeUndefined();
  });

  it('treats undefined and null input as an empty object', () => {
    for (const input of [undefined, null]) {
      const err = failure(Schema, input);
      expect(err.errorType).toBe(ERROR_TYPES.MISSING_REQUIRED_PARAMS);
      expect(err.missingParams).toEqual(['a', 'b']);
    }
  });

  it('counts an empty string and null as missing', () => {
    const err = failure(Schema, { a: '', b: null });
    expect(err.message).toBe('缺少必需参数: a, b');
    expect(err.missingParams).toEqual(['a', 'b']);
  });

  it('reports missing fields before invalid ones', () => {
    const err = failure(Schema, { b: 'not a number' });
    expect(err.errorType).toBe(ERROR_TYPES.MISSING_REQUIRED_PARAMS);
    expect(err.missingParams).toEqual(['a']);
  });

  it('names a nested missing field by its dotted path', () => {
    const schema = z.object({ opts: z.object({ depth: z.number() }) });
    expect(failure(schema, { opts: {} }).missingParams).toEqual(['opts.depth']);
  });

  it('reports an invalid type with the parameter named in the message', () => {
    const err = failure(Schema, { a: 'x', b: 1, limit: 'ten' });
    expect(err.status).toBe(400);
    expect(err.errorType).toBe(ERROR_TYPES.INVALID_PARAMS);
    expect(err.invalidParams).toEqual(['limit']);
    expect(err.missingParams).toBeUndefined();
    expect(err.message).toBe('参数 limit 无效: Invalid input: expected number, received string');
  });

  it('lists every invalid parameter but words the message after the first', () => {
    const err = failure(Schema, { a: 'x', b: 1, limit: 'ten', flag: 'yes' });
    expect(err.invalidParams).toEqual(['limit', 'flag']);
    expect(err.message).toMatch(/^参数 limit 无效: /);
    expect(err.details).toEqual([
      { param: 'limit', message: expect.stringContaining('expected number') },
      { param: 'flag', message: expect.stringContaining('expected boolean') },
    ]);
  });

  it('uses a custom message verbatim when it already names the parameter', () => {
    const err = failure(Schema, { a: 'x', b: 1, task_id: 'bad id!' });
    expect(err.errorType).toBe(ERROR_TYPES.INVALID_PARAMS);
    expect(err.invalidParams).toEqual(['task_id']);
    expect(err.message).toBe('无效的task_id格式，只能包含字母、数字和下划线');
  });

  it("uses the schema's own (Chinese) message verbatim, as the original's texts are", () => {
    const schema = z.object({ page: z.number().min(1, '页码必须大于0') });
    const err = failure(schema, { page: 0 });
    expect(err.message).toBe('页码必须大于0');
    expect(err.invalidParams).toEqual(['page']);
  });

  it('names a root-level refinement "body"', () => {
    const schema = z.object({ x: z.number().optional() }).refine((v) => v.x !== 3, { message: 'x 不能为 3' });
    const err = failure(schema, { x: 3 });
    expect(err.errorType).toBe(ERROR_TYPES.INVALID_PARAMS);
    expect(err.invalidParams).toEqual(['body']);
    expect(err.message).toBe('x 不能为 3');
  });

  // Regression (fixed): "already names the parameter" is a plain substring test, so a short name that occurs inside
  // zod's default text is taken as named: `b` is in "number", `id` in "Invalid". The reply is then
  // the bare "Invalid input: expected number, received string", which does not name the parameter.
  it('names parameter b when its number is a string', () => {
    expect(failure(Schema, { a: 'x', b: 'two' }).message).toMatch(/^参数 b 无效: /);
  });

  it('names parameter id when it has the wrong type', () => {
    expect(failure(z.object({ id: z.string() }), { id: 42 }).message).toMatch(/^参数 id 无效: /);
  });
});

describe('strings PostgreSQL cannot store', () => {
  const schema = z.object({ name: z.string().optional(), list: z.array(z.string()).optional(), nested: z.object({ deep: z.string() }).optional() });

  it.each([
    [{ name: 'a\u0000b' }, 'name'],
    [{ name: 'lone \uD800 high' }, 'name'],
    [{ name: 'lone \uDC00 low' }, 'name'],
    [{ list: ['ok', 'bad\u0000'] }, 'list.1'],
    [{ nested: { deep: '\uDFFF' } }, 'nested.deep'],
  ])('%j → 400 naming %s', (input, param) => {
    try {
      parseInput(schema, input);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).invalidParams).toEqual([param]);
    }
  });

  it('accepts surrogate pairs (emoji) and ordinary text, and survives deep nesting', () => {
    expect(parseInput(schema, { name: '高速 😀 ok' })).toEqual({ name: '高速 😀 ok' });
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(findUnstorableText(deep)).toBeNull();
    expect(findUnstorableText({ a: [{ 'k\u0000ey': 'x' }] })).toEqual(['a', 0, 'k\\u0000ey']);
  });
});
