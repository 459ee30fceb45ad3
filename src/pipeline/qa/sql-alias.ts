/** A column or table comment shortened to an alias: first clause, no punctuation or spaces. */
export function aliasFromComment(comment: string | null | undefined, fallback: string): string {
  const text = (comment ?? '').split(/[，。,;；（(]/)[0]!.replace(/[\s"'`]/g, '').trim();
  return text.length > 0 && text.length <= 20 ? text : fallback;
}

/**
 * An output alias: bare when PostgreSQL would keep it as written (Chinese, lower-case ASCII),
 * double-quoted otherwise, so the SQL always runs.
 */
export function sqlAlias(alias: string): string {
  return /^[\p{Script=Han}_a-z][\p{Script=Han}\p{L}\p{N}_]*$/u.test(alias) && !/[A-Z]/.test(alias)
    ? alias
    : `"${alias.replace(/"/g, '""')}"`;
}

/** A text value as an SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
