import { quoteIdent } from '../../db/identifiers.js';

/** A `CREATE INDEX` text from a manifest, taken apart and checked (see parseIndexDefinition). */
export interface IndexDefinition {
  name: string;
  unique: boolean;
  method: string;
  /** `(columns) [INCLUDE (…)] [NULLS [NOT] DISTINCT] [WITH (…)] [WHERE (…)]`, checked to be only that. */
  body: string;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const HEAD = new RegExp(
  String.raw`^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(${IDENT})\s+ON\s+(?:ONLY\s+)?(?:(${IDENT})\.)?(${IDENT})\s+USING\s+([A-Za-z_][A-Za-z0-9_]*)\s*`,
  'i',
);

/**
 * Parses a manifest's index definition (pg_get_indexdef text) for `table`. A manifest is a file:
 * its text is never executed as it stands. Only `CREATE [UNIQUE] INDEX <name> ON [ONLY]
 * [<schema>.]<table> USING <method> (…)` on this very table is accepted, and what follows the
 * method must be parenthesised groups in the clauses an index takes (no `;`, comments, dollar
 * quotes outside string literals, no backslash at all). The statement run is rebuilt from the
 * parts with the name re-quoted and the restore's own table as target (TABLESPACE is dropped:
 * the target may not have it). Null when the text is anything else.
 */
export function parseIndexDefinition(text: string, table: string): IndexDefinition | null {
  const head = HEAD.exec(text);
  // A backslash is refused anywhere, string literals included: in an E'…' literal it escapes a quote,
  // and the scan below would then see a literal end where the server sees none.
  if (!head || unquote(head[4]!) !== table || text.includes('\\')) return null;
  const body = text.slice(head[0].length).replace(/\s+TABLESPACE\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)/i, '');
  if (!isIndexBody(body)) return null;
  return { name: unquote(head[2]!), unique: Boolean(head[1]), method: head[5]!.toLowerCase(), body: body.trim() };
}

export function createIndexStatement(def: IndexDefinition, table: string): string {
  return `CREATE ${def.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(def.name)} ON ${quoteIdent(table)} USING ${quoteIdent(def.method)} ${def.body}`;
}

function unquote(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
}

/**
 * `(…)` then optional `INCLUDE (…)`, `NULLS [NOT] DISTINCT`, `WITH (…)`, `WHERE (…)`, in that
 * order and nothing after. Groups are matched by a scan that knows string literals and quoted
 * identifiers, so a `)` or `;` inside them neither closes a group nor ends the statement.
 */
function isIndexBody(body: string): boolean {
  let rest = body.trimStart();
  const group = (): boolean => {
    const end = groupEnd(rest);
    if (end < 0) return false;
    rest = rest.slice(end).trimStart();
    return true;
  };
  if (!group()) return false;
  for (const clause of [/^INCLUDE\b/i, /^NULLS\s+(NOT\s+)?DISTINCT\b/i, /^WITH\b/i, /^WHERE\b/i]) {
    const m = clause.exec(rest);
    if (!m) continue;
    rest = rest.slice(m[0].length).trimStart();
    if (clause.source.startsWith('^NULLS')) continue;
    if (!group()) return false;
  }
  return rest === '';
}

/** Index just past the parenthesised group `s` starts with; -1 when it is not one or holds forbidden text. */
function groupEnd(s: string): number {
  if (s[0] !== '(') return -1;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'" || c === '"') {
      const close = s.indexOf(c, i + 1);
      if (close < 0) return -1;
      // A doubled quote is an escaped one: the scan goes on past it as part of the same token.
      i = close;
      while (s[i + 1] === c) {
        const next = s.indexOf(c, i + 2);
        if (next < 0) return -1;
        i = next;
      }
      continue;
    }
    if (c === ';' || c === '$' || s.startsWith('--', i) || s.startsWith('/*', i)) return -1;
    if (c === '(') depth += 1;
    if (c === ')' && --depth === 0) return i + 1;
  }
  return -1;
}
