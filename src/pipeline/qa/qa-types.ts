import type { TableDescription } from '../../introspection/table-inspector.js';

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

/** What a QA generator gets: the tables (introspected) and their Markdown docs, as step 1 wrote them. */
export interface QaInput {
  tables: TableDescription[];
  /** The combined `_detail.md` document (the original's prompt input). */
  markdown: string;
  businessContext: string;
  /** Latest value of each date/timestamp column, `schema.table.column` → ISO date, for time filters. */
  latestDates: Map<string, string>;
}

/** Produces themes, then question/SQL pairs per theme, then the business-scope summary. */
export interface QaGenerator {
  readonly provider: string;
  themes(input: QaInput, count: number, signal?: AbortSignal): Promise<Theme[]>;
  pairs(input: QaInput, theme: Theme, count: number, signal?: AbortSignal): Promise<QuestionSqlPair[]>;
  businessScope(input: QaInput, themes: Theme[], signal?: AbortSignal): Promise<string>;
}
