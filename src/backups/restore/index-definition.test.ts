import { describe, expect, it } from 'vitest';
import { createIndexStatement, parseIndexDefinition } from './index-definition.js';

const T = 'langchain_pg_embedding';
const run = (text: string) => {
  const def = parseIndexDefinition(text, T);
  return def && createIndexStatement(def, T);
};

describe('parseIndexDefinition: only CREATE INDEX on the restore target, rebuilt from its parts', () => {
  it('accepts pg_get_indexdef text and re-quotes the name onto the target table', () => {
    expect(run(`CREATE INDEX ix_hnsw ON public.${T} USING hnsw (embedding vector_cosine_ops) WITH (m='16', ef_construction='64')`)).toBe(
      `CREATE INDEX "ix_hnsw" ON "${T}" USING "hnsw" (embedding vector_cosine_ops) WITH (m='16', ef_construction='64')`,
    );
    expect(run(`CREATE UNIQUE INDEX "Odd ""name""" ON ONLY ${T} USING btree (document) INCLUDE (id) NULLS NOT DISTINCT WHERE (document <> ')')`)).toBe(
      `CREATE UNIQUE INDEX "Odd ""name""" ON "${T}" USING "btree" (document) INCLUDE (id) NULLS NOT DISTINCT WHERE (document <> ')')`,
    );
    // The source's tablespace may not exist on the target: dropped.
    expect(run(`CREATE INDEX ix_gin ON public.${T} USING gin (cmetadata jsonb_path_ops) TABLESPACE fast`)).toBe(
      `CREATE INDEX "ix_gin" ON "${T}" USING "gin" (cmetadata jsonb_path_ops)`,
    );
  });

  it('refuses other statements, other tables, and anything past the index clauses', () => {
    for (const text of [
      `DROP TABLE ${T}`,
      `CREATE INDEX ix ON public.other_table USING btree (id)`,
      `CREATE INDEX ix ON ${T} USING btree (id); DROP TABLE ${T}`,
      `CREATE INDEX ix ON ${T} USING btree (id) WHERE (true); DROP TABLE x`,
      `CREATE INDEX ix ON ${T} USING btree ((id || ';'))); DROP TABLE x; --`,
      `CREATE INDEX ix ON ${T} USING btree (id -- )`,
      `CREATE INDEX ix ON ${T} USING btree (id /* ) */)`,
      `CREATE INDEX ix ON ${T} USING btree ((id || $$a$$))`,
      `CREATE INDEX ix ON ${T} USING btree ((id || E'\\')')) ; DROP TABLE x; --')`,
      `CREATE INDEX ix ON ${T} USING btree (id`,
      `CREATE INDEX ix ON ${T} USING btree id`,
      `CREATE INDEX ix ON ${T} USING btree (id) EXTRA`,
    ]) {
      expect(parseIndexDefinition(text, T), text).toBeNull();
    }
  });
});
