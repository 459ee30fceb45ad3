import { z } from 'zod';
import { ERROR_TYPES, ValidationError } from '../errors.js';

function paramName(path: PropertyKey[]): string {
  return path.map(String).join('.') || 'body';
}

function isMissing(input: unknown, path: PropertyKey[]): boolean {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return true;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined || value === null || value === '';
}

/**
 * Parses request input with a zod schema and turns failures into the documented 400 replies:
 * missing parameters first (`缺少必需参数: a, b` + `missing_params`), then the first invalid one,
 * whose message names the parameter (`invalid_params`).
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: { missingMessagePrefix?: string } = {},
): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;

  const issues = result.error.issues;
  const missing = [
    ...new Set(
      issues
        .filter((issue) => issue.path.length > 0 && isMissing(input, issue.path))
        .map((issue) => paramName(issue.path)),
    ),
  ];
  if (missing.length > 0) {
    throw new ValidationError(`${options.missingMessagePrefix ?? '缺少必需参数: '}${missing.join(', ')}`, ERROR_TYPES.MISSING_REQUIRED_PARAMS, {
      missingParams: missing,
      details: z.treeifyError(result.error),
    });
  }
  const invalid = [...new Set(issues.map((issue) => paramName(issue.path)))];
  const first = issues[0]!;
  // Schemas carry their own Chinese messages where the original had one; zod's default text is
  // prefixed with the parameter so the reply always names it.
  const name = paramName(first.path);
  const namesParam = new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_])`);
  // Our own (Chinese) messages are used verbatim, like the original's texts; zod's English
  // defaults get the parameter named in front.
  const message = namesParam.test(first.message) || /\p{Script=Han}/u.test(first.message)
    ? first.message
    : `参数 ${name} 无效: ${first.message}`;
  throw new ValidationError(message, ERROR_TYPES.INVALID_PARAMS, {
    invalidParams: invalid,
    details: issues.map((issue) => ({ param: paramName(issue.path), message: issue.message })),
  });
}
