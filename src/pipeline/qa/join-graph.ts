import type { ForeignKeyRow } from '../../db/sql/qa-quality.sql.js';
import type { TableDescription } from '../../introspection/table-inspector.js';

/** One way two listed tables may be joined: `from.column = to.column`, `to.column` being a key. */
export interface JoinEdge {
  from: TableDescription;
  fromColumn: string;
  to: TableDescription;
  toColumn: string;
  /** `declared` foreign key, or the `<x>_id` naming rule. */
  kind: 'declared' | 'naming';
}

const singleKey = (t: TableDescription) => {
  const keys = t.columns.filter((c) => c.is_primary_key);
  return keys.length === 1 ? keys[0]!.name : null;
};

/**
 * The joins the generator may use, and the only ones the tests accept: declared single-column
 * foreign keys, and `<x>_id` columns where another listed table is named `<x>` or `…_<x>` and has
 * the single-column key `id` (the demo declares no foreign keys; its ids follow this rule).
 */
export function joinEdges(tables: TableDescription[], declared: ForeignKeyRow[]): JoinEdge[] {
  const edges: JoinEdge[] = [];
  const find = (schema: string, name: string) => tables.find((t) => t.schema === schema && t.name === name);
  for (const k of declared) {
    const from = find(k.from_schema, k.from_table);
    const to = find(k.to_schema, k.to_table);
    if (from && to) edges.push({ from, fromColumn: k.from_column, to, toColumn: k.to_column, kind: 'declared' });
  }
  for (const from of tables) {
    for (const column of from.columns) {
      const m = /^(.+)_id$/.exec(column.name);
      if (!m || column.is_primary_key && singleKey(from) === column.name) continue;
      if (edges.some((e) => e.from === from && e.fromColumn === column.name)) continue;
      const to = tables.find((t) => t !== from && (t.name === m[1] || t.name.endsWith(`_${m[1]}`)) && singleKey(t) === 'id');
      if (to) edges.push({ from, fromColumn: column.name, to, toColumn: 'id', kind: 'naming' });
    }
  }
  return edges;
}

/** Does `a.x = b.y` (either way round) follow one of the edges? For checking joins in any SQL. */
export function followsEdge(edges: JoinEdge[], a: { table: string; column: string }, b: { table: string; column: string }): boolean {
  const matches = (e: JoinEdge, p: typeof a, q: typeof a) =>
    e.from.name === p.table && e.fromColumn === p.column && e.to.name === q.table && e.toColumn === q.column;
  return edges.some((e) => matches(e, a, b) || matches(e, b, a));
}
