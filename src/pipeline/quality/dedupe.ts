import { tokenize } from './sql-tokens.js';

const PLAIN_NAME = /^[a-z_][a-z0-9_$]*$/;

/**
 * The SQL's template: literals and parameters → `?` (a list of them → one `?`), words lower-cased,
 * `"plain"` quoted names written bare, comments and the trailing `;` gone, single spaces.
 * Two pairs with the same template ask the same thing of the database.
 */
export function normaliseSql(sql: string): string {
  const parts: string[] = [];
  for (const t of tokenize(sql)) {
    if (t.kind === 'punct' && t.text === ';') continue;
    if (t.kind === 'string' || t.kind === 'number' || t.kind === 'param') parts.push('?');
    else if (t.kind === 'word') parts.push(t.value);
    else if (t.kind === 'ident') parts.push(PLAIN_NAME.test(t.value) ? t.value : `"${t.value.replace(/"/g, '""')}"`);
    else parts.push(t.text);
  }
  return parts.join(' ').replace(/\? (, \? )+/g, '? ').replace(/\?( , \?)+$/, '?');
}

/** The question as a reader compares it: width-folded, no spaces, no punctuation, lower case. */
export function normaliseQuestion(question: string): string {
  return question.normalize('NFKC').replace(/[\s\p{P}\p{S}]+/gu, '').toLowerCase();
}

export interface DedupeResult<T> {
  kept: T[];
  duplicateQuestions: number;
  duplicateSql: number;
}

/** Keeps the first pair of each question and of each SQL template; counts what went. */
export function dedupePairs<T extends { question: string; sql: string }>(pairs: T[]): DedupeResult<T> {
  const questions = new Set<string>();
  const templates = new Set<string>();
  const result: DedupeResult<T> = { kept: [], duplicateQuestions: 0, duplicateSql: 0 };
  for (const pair of pairs) {
    const q = normaliseQuestion(pair.question);
    const s = normaliseSql(pair.sql);
    if (questions.has(q)) result.duplicateQuestions += 1;
    else if (templates.has(s)) result.duplicateSql += 1;
    else {
      questions.add(q);
      templates.add(s);
      result.kept.push(pair);
    }
  }
  return result;
}
