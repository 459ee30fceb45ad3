import type { JoinEdge } from './join-graph.js';
import { phrase } from './phrasing.js';
import { allLive, liveRows, type TableFacts } from './schema-facts.js';
import { sqlAlias, sqlString } from './sql-alias.js';
import { detailColumns, literal, metricOf, type Candidate } from './table-templates.js';

/** An edge seen from one of its ends: `near.nearColumn = far.farColumn`. */
interface Step {
  far: TableFacts;
  nearColumn: string;
  farColumn: string;
  edge: JoinEdge;
}

const ident = (f: TableFacts, column: string) => f.table.columns.find((c) => c.name === column)!.ident;
const oneLine = (sql: string) => `${sql.replace(/\s+/g, ' ').trim()};`;

/** Every table one key-following join away from `f`, either direction. */
function stepsFrom(f: TableFacts, all: TableFacts[], edges: JoinEdge[]): Step[] {
  const facts = (name: string, schema: string) => all.find((t) => t.table.name === name && t.table.schema === schema);
  return edges.flatMap((e): Step[] => {
    if (e.from === f.table) {
      const far = facts(e.to.name, e.to.schema);
      return far ? [{ far, nearColumn: e.fromColumn, farColumn: e.toColumn, edge: e }] : [];
    }
    if (e.to === f.table) {
      const far = facts(e.from.name, e.from.schema);
      return far ? [{ far, nearColumn: e.toColumn, farColumn: e.fromColumn, edge: e }] : [];
    }
    return [];
  });
}

/**
 * Join candidates, only along the key edges: one join to a neighbour with names (group by it,
 * filter through it — complex); two hops where the schema has them (highly complex); a neighbour's
 * category as an IN subquery (complex).
 */
export function joinCandidates(f: TableFacts, all: TableFacts[], edges: JoinEdge[]): Candidate[] {
  const out: Candidate[] = [];
  const t = f.table.name;
  const add = (intent: string, variants: string[], sql: string) => out.push({ intent, question: phrase(t, intent, variants), sql: oneLine(sql) });
  const metric = metricOf(f, 's.');
  const steps = stepsFrom(f, all, edges);

  for (const step of steps) {
    const g = step.far;
    // Towards a parent (f.x_id = g.id) a sum stays right; towards children it would count f's rows twice.
    const fansOut = step.edge.from !== f.table && f.measures.length > 0;
    const on = `g.${ident(g, step.farColumn)} = s.${ident(f, step.nearColumn)}`;
    const lives = allLive(liveRows(f, 's.'), liveRows(g, 'g.'));
    const gName = g.names[0];
    const key = `${g.table.name}.${step.nearColumn}`;
    if (gName && !fansOut) {
      add(`join-group:${key}`, [`按${g.label}的${gName.label}统计${f.label}的${metric.label}，取前10名。`, `哪10个${gName.label}对应的${f.label}${metric.label}最高？`, `各${gName.label}的${f.label}${metric.label}是多少（前10）？`],
        `SELECT g.${gName.ident} AS ${sqlAlias(gName.label)}, ${metric.expr} AS ${metric.alias} FROM ${f.ref} s JOIN ${g.ref} g ON ${on} WHERE ${lives} GROUP BY g.${gName.ident} ORDER BY ${metric.alias} DESC LIMIT 10`);
    }
    const gDim = g.dimensions[0];
    const sDim = f.dimensions[0] ?? f.names[0];
    if (gDim?.values[0] && sDim && sDim.name !== gDim.name && !fansOut) {
      const v = gDim.values[0];
      add(`join-filter:${key}`, [`在${gDim.label}为“${v}”的${g.label}中，按${sDim.label}统计${f.label}的${metric.label}。`, `${g.label}${gDim.label}是“${v}”时，各${sDim.label}的${metric.label}是多少？`],
        `SELECT s.${sDim.ident} AS ${sqlAlias(sDim.label)}, ${metric.expr} AS ${metric.alias} FROM ${f.ref} s JOIN ${g.ref} g ON ${on} WHERE g.${gDim.ident} = ${literal(gDim, v)} AND ${lives} GROUP BY s.${sDim.ident} ORDER BY ${metric.alias} DESC`);
    }
    // The neighbour's category through an IN subquery: the same question without a join.
    const filter = gDim?.values[0] ? gDim : gName?.values[0] ? gName : null;
    if (filter) {
      const v = filter.values[0]!;
      add(`in-subquery:${key}`, [`${g.label}的${filter.label}为“${v}”的${f.label}记录有哪些？`, `列出属于${filter.label}“${v}”的${g.label}的${f.label}。`],
        `SELECT ${detailColumns(f)} FROM ${f.ref} WHERE ${liveRows(f)} AND ${ident(f, step.nearColumn)} IN (SELECT ${ident(g, step.farColumn)} FROM ${g.ref} WHERE ${filter.ident} = ${literal(filter, v)} AND ${liveRows(g)})`);
    }
    const fDate = f.dates.find((d) => d.latest);
    const fName = f.names[0];
    if (fDate && gName && !fName && !fansOut) {
      const day = fDate.latest!.slice(0, 10);
      add(`join-day:${key}`, [`${day}各${gName.label}的${metric.label}是多少？`, `查询${day}按${gName.label}汇总的${metric.label}。`],
        `SELECT g.${gName.ident} AS ${sqlAlias(gName.label)}, ${metric.expr} AS ${metric.alias} FROM ${f.ref} s JOIN ${g.ref} g ON ${on} WHERE s.${fDate.ident}::date = DATE ${sqlString(day)} AND ${lives} GROUP BY g.${gName.ident} ORDER BY ${metric.alias} DESC`);
    }

    // Two hops: f – g – h, h ≠ f, grouped by h's name; the second hop always towards a parent.
    for (const next of fansOut ? [] : stepsFrom(g, all, edges)) {
      const h = next.far;
      const hName = h.names[0];
      if (h === f || !hName || next.edge === step.edge || next.edge.from !== g.table) continue;
      const on2 = `h.${ident(h, next.farColumn)} = g.${ident(g, next.nearColumn)}`;
      add(`two-hop:${key}:${h.table.name}`, [`按${h.label}的${hName.label}统计${f.label}的${metric.label}。`, `经由${g.label}关联，各${hName.label}的${f.label}${metric.label}是多少？`, `每个${hName.label}对应的${f.label}${metric.label}有多少？`],
        `SELECT h.${hName.ident} AS ${sqlAlias(hName.label)}, ${metric.expr} AS ${metric.alias} FROM ${f.ref} s JOIN ${g.ref} g ON ${on} JOIN ${h.ref} h ON ${on2} WHERE ${allLive(lives, liveRows(h, 'h.'))} GROUP BY h.${hName.ident} ORDER BY ${metric.alias} DESC`);
    }
  }
  return out;
}
