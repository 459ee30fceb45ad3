/**
 * Splits SQL text into its top-level statements: semicolons inside strings, quoted identifiers,
 * dollar-quoted bodies and comments do not separate statements. Statements are returned trimmed,
 * without their terminating `;`; a statement made only of comments is dropped.
 *
 * The token rules are PostgreSQL's own (scan.l), because a splitter that disagrees with the server
 * on where a string ends lets a `;` inside it pass for a statement boundary, or hides a real one:
 * - a dollar-quote tag is `$` + an identifier (letters, digits after the first, `_`, non-ASCII) + `$`,
 *   or the empty `$$`; `$1` is a parameter, and `a$b$` is one identifier (`$` continues identifiers);
 * - `E'…'` strings take backslash escapes (`E'it\'s'`);
 * - block comments nest (`/* a /* b *\/ c *\/`).
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let hasContent = false;
  let i = 0;
  const flush = (end: number) => {
    if (hasContent) statements.push(sql.slice(start, end).trim());
    hasContent = false;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      i = skipBlockComment(sql, i);
      continue;
    }
    if (ch === "'" || ch === '"') {
      i = skipQuoted(sql, i, ch, ch === "'" && isEscapeStringPrefix(sql, i));
      hasContent = true;
      continue;
    }
    const tag = ch === '$' && !continuesIdentifier(sql, i) ? dollarTagAt(sql, i) : undefined;
    if (tag) {
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
      hasContent = true;
      continue;
    }
    if (ch === ';') {
      flush(i);
      start = i + 1;
    } else if (!/\s/.test(ch)) {
      hasContent = true;
    }
    i += 1;
  }
  flush(sql.length);
  return statements;
}

/** scan.l `dolqdelim`: `$` (ident_start ident_cont*)? `$`, where ident_cont has no `$`. */
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
export const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

export function dollarTagAt(sql: string, i: number): string | undefined {
  DOLLAR_TAG.lastIndex = i;
  return DOLLAR_TAG.exec(sql)?.[0];
}

/** A `$` right after an identifier character belongs to that identifier (`price$usd`) or parameter. */
export function continuesIdentifier(sql: string, i: number): boolean {
  return i > 0 && IDENTIFIER_CHAR.test(sql[i - 1]!);
}

/** `E'…'` / `e'…'`, where the E is a token of its own (not the end of an identifier like `name'`). */
export function isEscapeStringPrefix(sql: string, quoteAt: number): boolean {
  const prev = sql[quoteAt - 1];
  return (prev === 'E' || prev === 'e') && !(quoteAt > 1 && IDENTIFIER_CHAR.test(sql[quoteAt - 2]!));
}

export function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    if (backslashEscapes && sql[i] === '\\') {
      i += 2;
      continue;
    }
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return sql.length;
}

export function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth += 1;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}
