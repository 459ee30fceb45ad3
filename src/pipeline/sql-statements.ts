/**
 * Splits SQL text into its top-level statements: semicolons inside strings, quoted identifiers,
 * dollar-quoted bodies and comments do not separate statements. Statements are returned trimmed,
 * without their terminating `;`; a statement made only of comments is dropped.
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
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"') {
      i = skipQuoted(sql, i, ch);
      hasContent = true;
      continue;
    }
    const tag = ch === '$' ? /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0] : undefined;
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

export function countStatements(sql: string): number {
  return splitStatements(sql).length;
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
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
