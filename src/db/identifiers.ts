import pg from 'pg';

/** Quotes an identifier that has already been checked against the catalog. */
export function quoteIdent(name: string): string {
  return pg.escapeIdentifier(name);
}

export function quoteIdentList(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}
