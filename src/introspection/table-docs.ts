import type { ColumnDescription, TableDescription } from './table-inspector.js';

/** Comments chosen for a table (catalog, name-derived or LLM), by column name — never by position. */
export interface TableComments {
  table: string | null;
  columns: Map<string, string>;
  /** LLM-suggested enums confirmed by SQL; merged with the inspector's own detection. */
  enums?: Map<string, string[]>;
}

const COMMENT_COLUMN = 30;

/** One line of text, no `(12字)` length markers the LLM likes to add. */
function clean(text: string | null | undefined): string {
  return (text ?? '').replace(/[(（]\s*\d+\s*字\s*[)）]/g, '').replace(/\s+/g, ' ').trim();
}

/** The part before the first Chinese comma or full stop: the table's "Chinese name". */
export function shortComment(comment: string | null): string {
  return clean(comment).split(/[，。]/)[0]!.trim();
}

/** `character varying(32)` → `varchar(32)`, `timestamp without time zone` → `timestamp`, … */
export function shortType(formattedType: string): string {
  return formattedType
    .replace(/^character varying/, 'varchar')
    .replace(/^character\b/, 'char')
    .replace(/^timestamp(\(\d+\))? without time zone/, 'timestamp$1')
    .replace(/^timestamp(\(\d+\))? with time zone/, 'timestamptz$1')
    .replace(/^time(\(\d+\))? without time zone/, 'time$1')
    .replace(/^time(\(\d+\))? with time zone/, 'timetz$1');
}

function columnComment(column: ColumnDescription, comments: TableComments): string {
  return clean(comments.columns.get(column.name) ?? column.comment);
}

function enumValuesOf(column: ColumnDescription, comments: TableComments): string[] | null {
  return comments.enums?.get(column.name) ?? column.enumValues;
}

function columnDefinition(column: ColumnDescription): string {
  let def = `${column.ident} ${shortType(column.formatted_type)}`;
  if (column.generated && column.column_default) return `${def} generated always as (${column.column_default}) stored`;
  if (!column.nullable) def += ' not null';
  // A sequence default needs the sequence: the DDL must run on an empty database too.
  if (column.column_default && !column.column_default.includes('nextval(')) def += ` default ${column.column_default}`;
  return def;
}

/**
 * CREATE TABLE text in the original's layout (`-- 中文名`, `-- 描述`, aligned `--` comments) but
 * valid SQL: the separating comma comes before the comment, identifiers are quoted where needed.
 */
export function renderDdl(table: TableDescription, comments: TableComments): string {
  const tableComment = clean(comments.table ?? table.comment);
  const lines = [`-- 中文名: ${shortComment(tableComment) || table.name}`];
  if (tableComment) lines.push(`-- 描述: ${tableComment}`);
  lines.push(`create table ${table.qualifiedIdent} (`);

  const pk = table.columns.filter((c) => c.is_primary_key).sort((a, b) => (a.pk_position ?? 0) - (b.pk_position ?? 0));
  const body: { text: string; comment: string }[] = table.columns.map((column) => ({
    text: columnDefinition(column),
    comment: [columnComment(column, comments), column.is_primary_key ? '主键' : '', column.is_foreign_key ? '外键' : '']
      .filter(Boolean)
      .join('，'),
  }));
  if (pk.length > 0) body.push({ text: `primary key (${pk.map((c) => c.ident).join(', ')})`, comment: '' });
  body.forEach((entry, i) => {
    const text = `  ${entry.text}${i < body.length - 1 ? ',' : ''}`;
    lines.push(entry.comment ? `${text.padEnd(Math.max(COMMENT_COLUMN, text.length + 1))}-- ${entry.comment}` : text);
  });
  lines.push(');');
  return lines.join('\n');
}

/** The `<table>_detail.md` document: fields with types, comments, flags, samples and notes. */
export function renderMarkdown(table: TableDescription, comments: TableComments): string {
  const tableComment = clean(comments.table ?? table.comment);
  const lines = [`## ${table.name}（${shortComment(tableComment) || '数据表'}）`, `${table.name} 表${tableComment}`, '字段列表：'];
  for (const column of table.columns) {
    const comment = columnComment(column, comments);
    const flags = [column.is_primary_key ? '主键' : '', column.is_foreign_key ? '外键' : '', column.nullable ? '' : '非空'].filter(Boolean);
    const samples = column.samples.slice(0, enumValuesOf(column, comments) ? 3 : 2);
    lines.push(
      `- ${column.name} (${shortType(column.formatted_type)})${comment ? ` - ${comment}` : ''}` +
        `${flags.length ? ` [${flags.join(', ')}]` : ''}${samples.length ? ` [示例: ${samples.join(', ')}]` : ''}`,
    );
  }
  const notes: string[] = [];
  const pk = table.columns.filter((c) => c.is_primary_key);
  if (pk.length === 1) notes.push(`- ${pk[0]!.name} 为主键`);
  if (pk.length > 1) notes.push(`- 复合主键：${pk.map((c) => c.name).join(', ')}`);
  for (const column of table.columns) {
    if (column.is_foreign_key) notes.push(`- ${column.name} 为外键`);
    const values = enumValuesOf(column, comments);
    if (values?.length) notes.push(`- ${column.name} 为枚举字段，包含取值：${values.join('、')}`);
    if (column.udt_name === 'uuid') notes.push(`- ${column.name} 使用 UUID 编码`);
    if (column.udt_name === 'json' || column.udt_name === 'jsonb') notes.push(`- ${column.name} 存储JSON格式数据`);
  }
  if (notes.length > 0) lines.push('字段补充说明：', ...notes);
  return lines.join('\n');
}
