import { isWord, tokenize } from '../../src/pipeline/quality/sql-tokens.js';

export interface JoinCondition {
  left: { table: string; column: string };
  right: { table: string; column: string };
}

/**
 * The equality conditions of every `JOIN … ON` in one SQL, aliases resolved to table names (a
 * reader of the test's own, independent of the generator): `FROM t a JOIN u b ON b.x = a.y`.
 * `joins` counts JOIN keywords; a join without an `a.x = b.y` ON condition has no entry in
 * `conditions`, so a caller comparing the two sees it.
 */
export function joinConditions(sql: string): { joins: number; conditions: JoinCondition[] } {
  const tokens = tokenize(sql);
  const aliases = new Map<string, string>();
  tokens.forEach((t, i) => {
    if (!isWord(t, 'from', 'join')) return;
    const name = tokens[i + 1];
    if (!name || (name.kind !== 'word' && name.kind !== 'ident')) return;
    const table = tokens[i + 2]?.text === '.' ? tokens[i + 3]!.value : name.value;
    const after = tokens[i + 2]?.text === '.' ? i + 4 : i + 2;
    const aliasAt = isWord(tokens[after], 'as') ? after + 1 : after;
    const alias = tokens[aliasAt];
    aliases.set(table, table);
    if (alias && alias.kind === 'word' && !isWord(alias, 'join', 'on', 'where', 'group', 'order', 'limit', 'left', 'right', 'inner', 'full', 'cross')) aliases.set(alias.value, table);
  });
  const conditions: JoinCondition[] = [];
  let joins = 0;
  tokens.forEach((t, i) => {
    if (isWord(t, 'join')) joins += 1;
    if (!isWord(t, 'on')) return;
    const [a, dot1, c1, eq, b, dot2, c2] = tokens.slice(i + 1, i + 8);
    if (dot1?.text !== '.' || eq?.text !== '=' || dot2?.text !== '.') return;
    conditions.push({
      left: { table: aliases.get(a!.value) ?? a!.value, column: c1!.value },
      right: { table: aliases.get(b!.value) ?? b!.value, column: c2!.value },
    });
  });
  return { joins, conditions };
}
