import { randomUUID } from 'node:crypto';
import { ERROR_TYPES, UnprocessableError } from '../../errors.js';
import { isValidJson, toJsonText } from './python-literal-parser.js';
import { createCsvParser, createCsvWriter, mapRecords, type CsvField } from '../../streams/csv-rows.js';
import type { TableColumn } from '../langchain-tables.js';

/**
 * How one backup file goes into its table. `transform` is null when the file's rows are already
 * what COPY expects: then the bytes go to COPY untouched (the fast path, no CSV parsing in Node).
 */
export interface TableLoadPlan {
  /** Target columns, in the order the CSV (after `transform`) provides them. */
  columns: string[];
  transform: ((record: CsvField[]) => CsvField[] | null) | null;
  /**
   * The parsing path, also for a raw file: the sniff reads only the first rows, so a Python literal
   * further down makes the raw COPY fail, and the load is retried through this.
   */
  slowTransform: (record: CsvField[]) => CsvField[] | null;
  /** Why the slow path was chosen, for logs and replies (`collection_mapping`: selection or renames). */
  reason: 'raw' | 'python_literal_metadata' | 'legacy_schema' | 'column_mapping' | 'collection_mapping';
}

const JSON_TYPES = new Set(['json', 'jsonb']);

/**
 * Builds the load plan from the CSV header, the first rows and the target's columns. Handles the
 * langchain-postgres layout (`id`) and the older langchain layout (`uuid` + `custom_id`) on either
 * side, and JSON columns written as Python dict literals by the original service.
 */
export function planTableLoad(
  fileName: string,
  header: readonly string[],
  sampleRows: readonly CsvField[][],
  target: readonly TableColumn[],
): TableLoadPlan {
  const writable = new Map(target.filter((c) => !c.generated).map((c) => [c.name, c]));
  const sources: ((record: CsvField[]) => CsvField)[] = [];
  const columns: string[] = [];
  let legacy = false;
  const indexOf = (name: string) => header.indexOf(name);

  for (const [i, name] of header.entries()) {
    if (writable.has(name)) {
      columns.push(name);
      sources.push((record) => record[i] ?? null);
    }
  }
  // Older langchain stored the caller's id in custom_id and a row UUID in uuid; newer stores it in id.
  if (writable.has('id') && !header.includes('id') && header.includes('custom_id')) {
    const custom = indexOf('custom_id');
    const uuid = indexOf('uuid');
    columns.push('id');
    sources.push((record) => record[custom] ?? (uuid >= 0 ? (record[uuid] ?? null) : null));
    legacy = true;
  }
  if (writable.has('custom_id') && writable.has('uuid') && header.includes('id') && !header.includes('uuid')) {
    const id = indexOf('id');
    columns.push('custom_id', 'uuid');
    sources.push((record) => record[id] ?? null, () => randomUUID());
    legacy = true;
  }
  const consumed = new Set([...columns, ...(legacy ? ['id', 'uuid', 'custom_id'] : [])]);
  const unknown = header.filter((name) => !consumed.has(name) && !target.some((c) => c.name === name && c.generated));
  if (unknown.length > 0) {
    throw new UnprocessableError(
      `备份文件 ${fileName} 的列 ${unknown.join(', ')} 在目标表中不存在 (目标表列: ${[...writable.keys()].join(', ')})`,
      ERROR_TYPES.VECTOR_RESTORE_FAILED,
    );
  }
  const missingRequired = [...writable.values()].filter((c) => c.notNull && !c.hasDefault && !columns.includes(c.name));
  if (missingRequired.length > 0) {
    throw new UnprocessableError(
      `备份文件 ${fileName} 缺少目标表的必填列: ${missingRequired.map((c) => c.name).join(', ')}`,
      ERROR_TYPES.VECTOR_RESTORE_FAILED,
    );
  }

  const jsonPositions = columns.flatMap((name, pos) => (JSON_TYPES.has(writable.get(name)!.typeName) ? [pos] : []));
  const pythonLiterals = sampleRows.some((row) =>
    jsonPositions.some((pos) => {
      const value = sources[pos]!(row);
      return value !== null && value !== '' && !isValidJson(value);
    }),
  );
  const slowTransform = (record: CsvField[]): CsvField[] => {
    const out = sources.map((source) => source(record));
    for (const pos of jsonPositions) {
      const value = out[pos];
      if (value !== null && value !== undefined && value !== '') out[pos] = toJsonText(value);
    }
    return out;
  };
  const identity = !legacy && columns.length === header.length;
  if (identity && !pythonLiterals) return { columns, transform: null, slowTransform, reason: 'raw' };
  const reason = legacy ? 'legacy_schema' : pythonLiterals ? 'python_literal_metadata' : 'column_mapping';
  return { columns, transform: slowTransform, slowTransform, reason };
}

/** parse → fix each data row (the header becomes the target column list) → CSV for COPY. */
export function parsingStages(columns: string[], transform: (record: CsvField[]) => CsvField[] | null): NodeJS.ReadWriteStream[] {
  return [createCsvParser(), mapRecords((record, index) => (index === 0 ? columns : transform(record))), createCsvWriter()];
}
