import {
  continuesIdentifier,
  dollarTagAt,
  IDENTIFIER_CHAR,
  isEscapeStringPrefix,
  skipBlockComment,
  skipQuoted,
} from '../sql-statements.js';

export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'param' | 'op' | 'punct';

export interface SqlToken {
  kind: TokenKind;
  /** The token as written. */
  text: string;
  /** Words lower-cased, quoted identifiers unquoted; else the text. */
  value: string;
  /** Parenthesis depth the token sits at (an opening `(` has the depth outside it). */
  depth: number;
  /** Offset of the token in the SQL text. */
  start: number;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const OPERATOR_CHAR = /[+\-*/<>=~!@#%^&|`?]/;
/** One-letter prefixes of string constants: E'…', B'…', X'…', N'…' (U&'…' is rare enough to read as U & '…'). */
const STRING_PREFIX = /^[eEbBxXnN]$/;

/**
 * The tokens of one SQL text, by the same lexical rules as splitStatements (PostgreSQL's scan.l):
 * comments dropped, strings (incl. E'…' and dollar-quoted bodies) and quoted identifiers one token
 * each, so a 'JOIN' inside a string or a "with" column never reads as a keyword.
 */
export function tokenize(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let depth = 0;
  let i = 0;
  const push = (kind: TokenKind, text: string, value = text) => tokens.push({ kind, text, value, depth, start: i });
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (ch === "'") {
      const end = skipQuoted(sql, i, "'", isEscapeStringPrefix(sql, i));
      push('string', sql.slice(i, end));
      i = end;
    } else if (ch === '"') {
      const end = skipQuoted(sql, i, '"', false);
      push('ident', sql.slice(i, end), sql.slice(i + 1, end - 1).replace(/""/g, '"'));
      i = end;
    } else if (ch === '$' && /[0-9]/.test(next ?? '')) {
      let end = i + 1;
      while (end < sql.length && /[0-9]/.test(sql[end]!)) end += 1;
      push('param', sql.slice(i, end));
      i = end;
    } else if (ch === '$' && !continuesIdentifier(sql, i) && dollarTagAt(sql, i)) {
      const tag = dollarTagAt(sql, i)!;
      const close = sql.indexOf(tag, i + tag.length);
      const end = close < 0 ? sql.length : close + tag.length;
      push('string', sql.slice(i, end));
      i = end;
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(next ?? ''))) {
      const m = /^(\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.)/.exec(sql.slice(i))!;
      push('number', m[0]);
      i += m[0].length;
    } else if (IDENT_START.test(ch)) {
      let end = i + 1;
      while (end < sql.length && IDENTIFIER_CHAR.test(sql[end]!)) end += 1;
      const word = sql.slice(i, end);
      if (sql[end] === "'" && STRING_PREFIX.test(word)) {
        // E'…' and friends: the prefix belongs to the string.
        const close = skipQuoted(sql, end, "'", word === 'e' || word === 'E');
        push('string', sql.slice(i, close));
        i = close;
      } else {
        push('word', word, word.toLowerCase());
        i = end;
      }
    } else if (ch === ':' && next === ':') {
      push('op', '::');
      i += 2;
    } else if (OPERATOR_CHAR.test(ch)) {
      let end = i + 1;
      while (end < sql.length && OPERATOR_CHAR.test(sql[end]!) && !(sql[end] === '-' && sql[end + 1] === '-')) end += 1;
      push('op', sql.slice(i, end));
      i = end;
    } else {
      if (ch === ')') depth = Math.max(0, depth - 1);
      push('punct', ch);
      if (ch === '(') depth += 1;
      i += 1;
    }
  }
  return tokens;
}

/** Is the token the unquoted keyword `word` (lower case)? */
export function isWord(token: SqlToken | undefined, ...words: string[]): boolean {
  return token?.kind === 'word' && words.includes(token.value);
}

/** Index just past the `)` that closes the `(` at `open`. */
export function skipParens(tokens: SqlToken[], open: number): number {
  const depth = tokens[open]!.depth;
  for (let i = open + 1; i < tokens.length; i += 1) {
    if (tokens[i]!.text === ')' && tokens[i]!.kind === 'punct' && tokens[i]!.depth === depth) return i + 1;
  }
  return tokens.length;
}

/**
 * Identifier-like names a statement mentions (words that are not keywords we know, quoted
 * identifiers), lower-cased words and exact quoted names: for table and column coverage.
 */
export function mentionedNames(tokens: SqlToken[]): Set<string> {
  return new Set(tokens.filter((t) => t.kind === 'word' || t.kind === 'ident').map((t) => t.value));
}
