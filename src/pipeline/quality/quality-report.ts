import fs from 'node:fs/promises';
import path from 'node:path';
import { writeJson } from '../../lib/atomic-file.js';
import { localDateTime } from '../../lib/time.js';
import { QUALITY_REPORT_NAME } from '../../task-files/task-dir.js';
import type { LabelledPair } from '../qa/qa-types.js';
import { DIFFICULTIES, type Difficulty } from './difficulty.js';
import { mentionedNames, tokenize } from './sql-tokens.js';

/** `schema.table` → its column names: what coverage is measured against. */
export type CatalogColumns = Record<string, string[]>;

export interface ValidationFigures {
  /** Pairs sql_validation checked (before any were dropped). */
  checked: number;
  invalid_found: number;
  repairs: { attempted: number; successful: number };
  dropped_invalid: number;
  dropped_empty: number;
  row_cap: number;
  /** Whether the labels below were written into the pair file (modify_original_file). */
  labels_in_pair_file: boolean;
}

export interface QualityInputs {
  pairFile: string;
  catalog: CatalogColumns;
  duplicatesRemoved: { questions: number; sql: number };
  providers: Record<string, string | null>;
  queryLog: object | null;
  validation: ValidationFigures | null;
}

const pct = (n: number, of: number) => (of ? Math.round((n / of) * 10000) / 100 : 0);
const countBy = <T>(items: T[], key: (item: T) => string) => {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
};

/** Tables and columns of the catalog that one SQL names (by token: strings and comments never count). */
export function sqlCoverage(sql: string, catalog: CatalogColumns): { tables: string[]; columns: string[] } {
  const names = mentionedNames(tokenize(sql));
  const tables = Object.keys(catalog).filter((t) => names.has(t.split('.').pop()!));
  const columns = tables.flatMap((t) => catalog[t]!.filter((c) => names.has(c)).map((c) => `${t}.${c}`));
  return { tables, columns };
}

/**
 * The quality report: every figure about pairs is counted from the pairs passed in, which are the
 * pair file's items, so the report and the file cannot disagree.
 */
export function buildQualityReport(pairs: LabelledPair[], inputs: QualityInputs) {
  const byDifficulty = Object.fromEntries(DIFFICULTIES.map((d) => [d, 0])) as Record<Difficulty, number>;
  for (const p of pairs) byDifficulty[p.difficulty] += 1;
  const perTable: Record<string, number> = Object.fromEntries(Object.keys(inputs.catalog).map((t) => [t, 0]));
  const columns = new Set<string>();
  for (const p of pairs) {
    const cover = sqlCoverage(p.sql, inputs.catalog);
    for (const t of cover.tables) perTable[t] = (perTable[t] ?? 0) + 1;
    for (const c of cover.columns) columns.add(c);
  }
  const totalColumns = Object.values(inputs.catalog).reduce((n, cols) => n + cols.length, 0);
  const validated = pairs.filter((p) => p.valid !== undefined);
  const valid = pairs.filter((p) => p.valid === true).length;
  const nonEmpty = pairs.filter((p) => typeof p.row_count === 'number' && p.row_count > 0).length;
  return {
    generated_at: localDateTime(),
    pair_file: inputs.pairFile,
    total_pairs: pairs.length,
    by_difficulty: byDifficulty,
    difficulty_pct: Object.fromEntries(DIFFICULTIES.map((d) => [d, pct(byDifficulty[d], pairs.length)])),
    by_theme: countBy(pairs, (p) => p.theme),
    by_source: countBy(pairs, (p) => p.source),
    coverage: {
      tables: {
        total: Object.keys(inputs.catalog).length,
        covered: Object.values(perTable).filter((n) => n > 0).length,
        uncovered: Object.keys(perTable).filter((t) => perTable[t] === 0),
        pairs_per_table: perTable,
      },
      columns: { total: totalColumns, covered: columns.size, pct: pct(columns.size, totalColumns) },
    },
    execution: validated.length
      ? {
          explain_valid: valid,
          explain_valid_pct: pct(valid, pairs.length),
          non_empty: nonEmpty,
          non_empty_pct: pct(nonEmpty, pairs.length),
          empty: pairs.filter((p) => p.empty_result === true).length,
          not_executed: pairs.filter((p) => p.valid === true && p.row_count === null).length,
        }
      : null,
    duplicates_removed: { ...inputs.duplicatesRemoved, total: inputs.duplicatesRemoved.questions + inputs.duplicatesRemoved.sql },
    validation: inputs.validation,
    query_log: inputs.queryLog,
    providers: inputs.providers,
    catalog: inputs.catalog,
  };
}

export type QualityReport = ReturnType<typeof buildQualityReport>;
export type QualitySummary = ReturnType<typeof qualitySummary>;

/** The few figures a step result and GET /tasks/{id} show; the file has the rest. */
export function qualitySummary(report: QualityReport) {
  return {
    report_file: QUALITY_REPORT_NAME,
    total_pairs: report.total_pairs,
    by_difficulty: report.by_difficulty,
    by_source: report.by_source,
    tables_covered: `${report.coverage.tables.covered}/${report.coverage.tables.total}`,
    columns_covered_pct: report.coverage.columns.pct,
    explain_valid_pct: report.execution?.explain_valid_pct ?? null,
    non_empty_pct: report.execution?.non_empty_pct ?? null,
    duplicates_removed: report.duplicates_removed.total,
    repairs: report.validation?.repairs ?? null,
  };
}

export async function readQualityReport(taskDir: string): Promise<QualityReport | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(taskDir, QUALITY_REPORT_NAME), 'utf8')) as QualityReport;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return null;
    throw err;
  }
}

export async function writeQualityReport(taskDir: string, report: QualityReport): Promise<void> {
  await writeJson(path.join(taskDir, QUALITY_REPORT_NAME), report);
}
