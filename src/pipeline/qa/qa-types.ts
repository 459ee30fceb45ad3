import type { TableDescription } from '../../introspection/table-inspector.js';
import type { Difficulty } from '../quality/difficulty.js';
import type { JoinEdge } from './join-graph.js';

export interface Theme {
  topic_name: string;
  description: string;
  related_tables: string[];
  biz_entities: string[];
  biz_metrics: string[];
}

export interface QuestionSqlPair {
  question: string;
  sql: string;
}

/**
 * A pair as the pair file holds it: `question` and `sql` first (the original's loader reads only
 * those), then labels. qa_generation sets difficulty/theme/source; sql_validation adds the checks.
 */
export interface LabelledPair extends QuestionSqlPair {
  difficulty: Difficulty;
  theme: string;
  source: 'generated' | 'query_log';
  /** EXPLAIN-valid (and read-only); absent until sql_validation ran. */
  valid?: boolean;
  /** Rows returned, up to the row cap; null when not executed (invalid, or timed out). */
  row_count?: number | null;
  empty_result?: boolean;
  error?: string;
}

/** What a QA generator gets: the tables (introspected) and their Markdown docs, as step 1 wrote them. */
export interface QaInput {
  tables: TableDescription[];
  /** The combined `_detail.md` document (the original's prompt input). */
  markdown: string;
  businessContext: string;
  /** Latest value of each date/timestamp column, `schema.table.column` → ISO date, for time filters. */
  latestDates: Map<string, string>;
  /** Frequent values among live rows, `schema.table.column` → values as text: filters with answers. */
  sampledValues: Map<string, string[]>;
  /** The joins allowed: declared foreign keys and `<x>_id` → key columns between the listed tables. */
  joins: JoinEdge[];
}

/** Produces themes, then question/SQL pairs per theme, then the business-scope summary. */
export interface QaGenerator {
  readonly provider: string;
  themes(input: QaInput, count: number, signal?: AbortSignal): Promise<Theme[]>;
  pairs(input: QaInput, theme: Theme, count: number, signal?: AbortSignal): Promise<QuestionSqlPair[]>;
  businessScope(input: QaInput, themes: Theme[], signal?: AbortSignal): Promise<string>;
}
