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
 * NUL and lone UTF-16 surrogates. PostgreSQL stores neither in text (SQLSTATE 22021 for NUL, 22P05
 * for a lone surrogate, which UTF-8 cannot encode), the file system refuses NUL in a name, and both
 * are almost always an injection attempt or a broken client rather than meant.
 */
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A visited value and how it was reached; paths are rebuilt only on a hit (copying them per level is O(depth²)). */
interface Visit {
  value: unknown;
  key: PropertyKey | null;
  parent: Visit | null;
}

function pathOf(visit: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let v: Visit | null = visit; v !== null && v.key !== null; v = v.parent) path.unshift(v.key);
  return path;
}

/**
 * The path of the first string (value or key) in `input` that PostgreSQL could not store, or null.
 * Iterative and linear, so a deeply nested body cannot overflow the stack or burn the CPU.
 */
export function findUnstorableText(input: unknown): PropertyKey[] | null {
  const stack: Visit[] = [{ value: input, key: null, parent: null }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      if (UNSTORABLE_TEXT.test(value)) return pathOf(visit);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (UNSTORABLE_TEXT.test(key)) return [...pathOf(visit), JSON.stringify(key).slice(1, -1)];
        stack.push({ value: child, key: Array.isArray(value) ? Number(key) : key, parent: visit });
      }
    }
  }
  return null;
}

/** 400 naming the parameter when any string of the input holds NUL or a lone surrogate. */
export function assertStorableText(input: unknown): void {
  const path = findUnstorableText(input);
  if (path === null) return;
  const name = paramName(path);
  throw new ValidationError(`参数 ${name} 包含不允许的字符 (NUL 或无效的 Unicode 代理项)`, ERROR_TYPES.INVALID_PARAMS, {
    invalidParams: [name],
  });
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
  if (result.success) {
    // Once here, for every string of every route's params, query and body that survived parsing
    // (so what can reach SQL or a file name); the schema's own texts keep precedence above.
    assertStorableText(result.data);
    return result.data;
  }

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
