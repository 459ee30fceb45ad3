/** Characters that never belong to a table name (the original pipeline parser's rule). */
const FORBIDDEN = /[;()[\]{}*?!@#$%^&]/;

export interface ParsedTableList {
  /** Valid names, de-duplicated, in file order. */
  tables: string[];
  /** Names that were skipped, with the reason. */
  invalid: { name: string; reason: string }[];
}

/**
 * The one table-list parser (the original had three): blank lines and `#`/`--` comments skipped,
 * comma-separated names allowed on a line, `schema.table` or `table`.
 */
export function parseTableList(text: string): ParsedTableList {
  const tables: string[] = [];
  const invalid: ParsedTableList['invalid'] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('--')) continue;
    for (const name of line.split(',').map((n) => n.trim()).filter(Boolean)) {
      const reason = invalidReason(name);
      if (reason) invalid.push({ name, reason });
      else if (!tables.includes(name)) tables.push(name);
    }
  }
  return { tables, invalid };
}

export function invalidReason(name: string): string | null {
  if (FORBIDDEN.test(name)) return '包含非法字符';
  const parts = name.split('.');
  if (parts.length > 2) return '最多包含一个点 (schema.table)';
  if (parts.some((p) => p.trim() === '')) return 'schema 或表名为空';
  if (name.length > 127) return '名称过长';
  return null;
}

/** `public.t` → `t`; `s.t` → `s_t`; unsafe file-name characters → `_`, runs of `_` collapsed. */
export function tableFileBase(name: string): string {
  const [schema, table] = name.includes('.') ? name.split('.', 2) : ['public', name];
  const joined = schema === 'public' ? table! : `${schema}__${table}`;
  return joined.replace(/[.\-\s/\\:*?"<>|]/g, '_').replace(/_+/g, '_');
}

const MiB = 1024 * 1024;

/**
 * The original's text for a table list over the limit, `文件大小超过限制: 2MB` at the default
 * TABLE_LIST_MAX_BYTES: the upload routes (413) and a task's `table_list_file` (400) both say it.
 */
export function tableListTooLargeMessage(limitBytes: number): string {
  return `文件大小超过限制: ${+(limitBytes / MiB).toFixed(1)}MB`;
}
