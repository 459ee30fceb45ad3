import fs from 'node:fs/promises';
import path from 'node:path';
import { DDL_SUFFIX, PAIR_FILE_PATTERN } from '../task-files/task-dir.js';
import { splitStatements } from './sql-statements.js';

export type TrainingKind = 'ddl' | 'documentation' | 'sql';

export interface TrainingItem {
  kind: TrainingKind;
  file: string;
  document: string;
}

/** Stale generations are never loaded: `_old` files, `.backup` copies, `x.ddl_1` collisions. */
const SKIPPED = /(\.(ddl|md)_\d+$)|(_old$)|(\.backup)/;

/**
 * The training items of a task directory (top level only): DDL statements of `*.ddl`, the
 * heading sections of `*.md`, and the pairs of this run's `*_pair.json` as
 * `{"question": …, "sql": …}` documents.
 */
export async function collectTrainingItems(taskDir: string): Promise<TrainingItem[]> {
  const names = (await fs.readdir(taskDir, { withFileTypes: true }))
    .filter((e) => e.isFile() && !SKIPPED.test(e.name))
    .map((e) => e.name)
    .sort();
  const items: TrainingItem[] = [];
  for (const name of names) {
    const text = () => fs.readFile(path.join(taskDir, name), 'utf8');
    if (name.endsWith(DDL_SUFFIX)) {
      // Leading `-- 中文名` comments belong to the statement that follows them.
      for (const block of splitStatements(await text())) {
        items.push({ kind: 'ddl', file: name, document: block });
      }
    } else if (name.endsWith('.md') || name.endsWith('.markdown')) {
      for (const section of markdownSections(await text())) items.push({ kind: 'documentation', file: name, document: section });
    } else if (PAIR_FILE_PATTERN.test(name)) {
      const pairs = JSON.parse(await text()) as unknown;
      if (!Array.isArray(pairs)) continue;
      for (const pair of pairs as Record<string, unknown>[]) {
        const question = pair?.question;
        const sql = pair?.sql;
        if (typeof question === 'string' && typeof sql === 'string') {
          items.push({ kind: 'sql', file: name, document: JSON.stringify({ question, sql }) });
        }
      }
    }
  }
  return items;
}

/** Splits Markdown at `#`, `##` and `###` headings; text before the first heading is a section too. */
export function markdownSections(markdown: string): string[] {
  const sections: string[] = [];
  let current: string[] = [];
  for (const line of markdown.split('\n')) {
    if (/^#{1,3}\s/.test(line) && current.some((l) => l.trim())) {
      sections.push(current.join('\n').trim());
      current = [];
    }
    current.push(line);
  }
  if (current.some((l) => l.trim())) sections.push(current.join('\n').trim());
  return sections;
}
