import { isWord, skipParens, tokenize, type SqlToken } from './sql-tokens.js';

export const DIFFICULTIES = ['simple', 'moderate', 'complex', 'highly_complex'] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

export interface SqlFeatures {
  cte: boolean;
  window: boolean;
  /** Explicit JOINs plus comma joins (`FROM a, b`). */
  joins: number;
  subquery: boolean;
  aggregate: boolean;
  groupBy: boolean;
  having: boolean;
  orderByLimit: boolean;
}

const AGGREGATES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'bool_and', 'bool_or', 'every', 'json_agg', 'jsonb_agg',
  'json_object_agg', 'jsonb_object_agg', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp',
  'percentile_cont', 'percentile_disc', 'mode', 'corr', 'covar_pop', 'covar_samp',
]);

/** Keywords that end a FROM list at its own depth. */
const FROM_LIST_END = new Set([
  'where', 'group', 'having', 'order', 'limit', 'offset', 'fetch', 'window', 'union', 'intersect', 'except', 'for', 'returning', 'select',
]);

/** `WITH [RECURSIVE] name [(cols)] AS`: a common table expression (not `WITH TIME ZONE`, `WITH ORDINALITY`). */
function isCteAt(tokens: SqlToken[], i: number): boolean {
  let j = i + 1;
  if (isWord(tokens[j], 'recursive')) j += 1;
  const name = tokens[j];
  if (!name || (name.kind !== 'word' && name.kind !== 'ident')) return false;
  j += 1;
  if (tokens[j]?.text === '(') j = skipParens(tokens, j);
  return isWord(tokens[j], 'as');
}

/** Commas that separate FROM items at the FROM's own depth. */
function commaJoins(tokens: SqlToken[]): number {
  let count = 0;
  const inFrom = new Map<number, boolean>();
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === ')') inFrom.delete(t.depth + 1);
    if (isWord(t, 'from')) inFrom.set(t.depth, true);
    // JOIN … ON/USING does not end the list: a comma after it starts another FROM item.
    else if (t.kind === 'word' && FROM_LIST_END.has(t.value)) inFrom.delete(t.depth);
    else if (t.kind === 'punct' && t.text === ',' && inFrom.get(t.depth)) count += 1;
  }
  return count;
}

/** What the rules look at, read from tokens (strings, comments and quoted names never count). */
export function sqlFeatures(sql: string): SqlFeatures {
  const tokens = tokenize(sql);
  const features: SqlFeatures = { cte: false, window: false, joins: commaJoins(tokens), subquery: false, aggregate: false, groupBy: false, having: false, orderByLimit: false };
  let orderBy = false;
  let limit = false;
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    const prev = tokens[i - 1];
    if (isWord(t, 'with') && isCteAt(tokens, i)) features.cte = true;
    else if (isWord(t, 'over') && prev?.text === ')' && (next?.text === '(' || next?.kind === 'word' || next?.kind === 'ident')) features.window = true;
    else if (isWord(t, 'join')) features.joins += 1;
    else if (t.text === '(' && t.kind === 'punct' && isWord(next, 'select', 'with') && i > 0) features.subquery = true;
    else if (t.kind === 'word' && AGGREGATES.has(t.value) && next?.text === '(' && prev?.text !== '.') features.aggregate = true;
    else if (isWord(t, 'group') && isWord(next, 'by')) features.groupBy = true;
    else if (isWord(t, 'having')) features.having = true;
    else if (isWord(t, 'order') && isWord(next, 'by')) orderBy = true;
    else if (isWord(t, 'limit') || (isWord(t, 'fetch') && isWord(next, 'first', 'next'))) limit = true;
  });
  features.orderByLimit = orderBy && limit;
  return features;
}

/**
 * SPEC §8 item 6, checked in this order: a CTE, a window function or two or more joins (comma
 * joins count) → highly_complex; exactly one join or a subquery → complex; an aggregate, GROUP
 * BY/HAVING or ORDER BY … LIMIT → moderate; anything else → simple.
 */
export function classifyDifficulty(sql: string): Difficulty {
  const f = sqlFeatures(sql);
  if (f.cte || f.window || f.joins >= 2) return 'highly_complex';
  if (f.joins === 1 || f.subquery) return 'complex';
  if (f.aggregate || f.groupBy || f.having || f.orderByLimit) return 'moderate';
  return 'simple';
}
