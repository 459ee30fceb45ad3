/**
 * `include` / `exclude` of a backup or restore (SPEC §7): collection names, where `*` stands for
 * any run of characters (`doc*`, `*_sql`). Names are matched whole and case-sensitively, as
 * `langchain_pg_collection.name` is compared in SQL.
 */
export interface CollectionSelection {
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
}

/** The selection as a predicate over names, or null when every collection is selected. */
export function collectionFilterOf(selection: CollectionSelection): ((name: string) => boolean) | null {
  if (selection.include !== undefined) {
    const patterns = selection.include.map(namePattern);
    return (name) => patterns.some((p) => p.test(name));
  }
  if (selection.exclude !== undefined) {
    const patterns = selection.exclude.map(namePattern);
    return (name) => !patterns.some((p) => p.test(name));
  }
  return null;
}

/** A name pattern as an anchored regular expression: `*` is the only special character. */
function namePattern(pattern: string): RegExp {
  const parts = pattern.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}
