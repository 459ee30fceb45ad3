import { describe, expect, it } from 'vitest';
import { ERROR_TYPES, UnprocessableError } from '../../errors.js';
import type { CsvField } from '../../streams/csv-rows.js';
import { planTableLoad } from './restore-plan.js';
import type { TableColumn } from '../langchain-tables.js';

const col = (name: string, typeName: string, extra: Partial<TableColumn> = {}): TableColumn => ({
  name,
  dataType: typeName === 'vector' ? 'USER-DEFINED' : typeName,
  typeName,
  generated: false,
  notNull: false,
  hasDefault: false,
  ...extra,
});

/** langchain-postgres `langchain_pg_embedding`. */
const EMBEDDING: TableColumn[] = [
  col('id', 'varchar', { dataType: 'character varying', notNull: true }),
  col('collection_id', 'uuid'),
  col('embedding', 'vector'),
  col('document', 'varchar', { dataType: 'character varying' }),
  col('cmetadata', 'jsonb'),
];
const HEADER = ['id', 'collection_id', 'embedding', 'document', 'cmetadata'];
const COLL = '11111111-2222-3333-4444-555555555555';
const row = (id: string, meta: CsvField): CsvField[] => [id, COLL, '[0.1,0.2]', '查询服务区', meta];

/** The older langchain layout: `uuid` row key plus the caller's `custom_id`. */
const OLD_EMBEDDING: TableColumn[] = [
  col('uuid', 'uuid', { notNull: true }),
  col('collection_id', 'uuid'),
  col('embedding', 'vector'),
  col('document', 'varchar'),
  col('cmetadata', 'json'),
  col('custom_id', 'varchar'),
];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('planTableLoad', () => {
  it('sends a clean JSON file raw, with the header as the column list', () => {
    const plan = planTableLoad('e.csv', HEADER, [row('a-ddl', '{"id": "a-ddl"}'), row('b', null)], EMBEDDING);
    expect(plan.transform).toBeNull();
    expect(plan.reason).toBe('raw');
    expect(plan.columns).toEqual(HEADER);
  });

  it('keeps the header order, not the table order', () => {
    const header = ['cmetadata', 'document', 'id', 'embedding', 'collection_id'];
    const plan = planTableLoad('e.csv', header, [], EMBEDDING);
    expect(plan.columns).toEqual(header);
    expect(plan.transform).toBeNull();
  });

  it('ignores empty and NULL metadata when sniffing', () => {
    const plan = planTableLoad('e.csv', HEADER, [row('a', ''), row('b', null)], EMBEDDING);
    expect(plan.reason).toBe('raw');
  });

  it('switches to the parsing path when a sample row holds a Python literal', () => {
    const plan = planTableLoad('e.csv', HEADER, [row('a', '{"id": "a"}'), row('b', "{'id': 'b'}")], EMBEDDING);
    expect(plan.reason).toBe('python_literal_metadata');
    expect(plan.columns).toEqual(HEADER);
    expect(plan.transform).toBe(plan.slowTransform);
    const input = row('x-sql', "{'id': 'x-sql', 'createdat': None}");
    expect(plan.transform!(input)).toEqual(['x-sql', COLL, '[0.1,0.2]', '查询服务区', '{"id":"x-sql","createdat":null}']);
    expect(input[4]).toBe("{'id': 'x-sql', 'createdat': None}");
  });

  it('leaves NULL, empty and valid JSON metadata and non-JSON columns untouched', () => {
    const plan = planTableLoad('e.csv', HEADER, [row('a', "{'id': 'a'}")], EMBEDDING);
    expect(plan.transform!(row('n', null))).toEqual(row('n', null));
    expect(plan.transform!(row('e', ''))).toEqual(row('e', ''));
    expect(plan.transform!(row('j', '{ "id" : "j" }'))).toEqual(row('j', '{ "id" : "j" }'));
    // A document that looks like a Python dict is text, not JSON: never converted.
    const doc: CsvField[] = ['d', COLL, null, "{'not': 'json'}", null];
    expect(plan.transform!(doc)).toEqual(doc);
  });

  it('always provides a slowTransform that fixes literals, also on the raw path', () => {
    const plan = planTableLoad('e.csv', HEADER, [row('a', '{"id":"a"}')], EMBEDDING);
    expect(plan.transform).toBeNull();
    expect(plan.slowTransform(row('a', "{'id': 'a'}"))).toEqual(row('a', '{"id":"a"}'));
  });

  it('rejects a header column the target lacks, naming it', () => {
    const header = [...HEADER, 'extra_col'];
    const act = () => planTableLoad('langchain_pg_embedding_20250722_010318.csv', header, [], EMBEDDING);
    expect(act).toThrow(UnprocessableError);
    expect(act).toThrow(/extra_col/);
    expect(act).toThrow(/langchain_pg_embedding_20250722_010318\.csv/);
    try {
      act();
    } catch (err) {
      expect((err as UnprocessableError).status).toBe(422);
      expect((err as UnprocessableError).errorType).toBe(ERROR_TYPES.VECTOR_RESTORE_FAILED);
    }
  });

  it('rejects a file without a NOT NULL column that has no default', () => {
    const act = () => planTableLoad('e.csv', ['collection_id', 'embedding', 'document', 'cmetadata'], [], EMBEDDING);
    expect(act).toThrow(UnprocessableError);
    expect(act).toThrow(/必填列: id$/);
  });

  it('accepts a missing NOT NULL column that has a default, and a missing nullable one', () => {
    const target = EMBEDDING.map((c) => (c.name === 'id' ? { ...c, hasDefault: true } : c));
    const plan = planTableLoad('e.csv', ['id', 'document'], [], target);
    expect(plan.columns).toEqual(['id', 'document']);
    expect(planTableLoad('e.csv', ['document'], [], target).columns).toEqual(['document']);
  });

  describe('generated columns', () => {
    const target = [...EMBEDDING, col('document_vector', 'tsvector', { generated: true })];

    it('never writes a generated column', () => {
      const plan = planTableLoad('e.csv', HEADER, [], target);
      expect(plan.columns).toEqual(HEADER);
      expect(plan.transform).toBeNull();
    });

    it('accepts it in the header and drops its values through the transform', () => {
      const header = ['id', 'document_vector', 'collection_id', 'embedding', 'document', 'cmetadata'];
      const plan = planTableLoad('e.csv', header, [], target);
      expect(plan.columns).toEqual(HEADER);
      expect(plan.transform).not.toBeNull();
      expect(plan.transform!(['a', "'x':1", COLL, '[1]', 'doc', '{}'])).toEqual(['a', COLL, '[1]', 'doc', '{}']);
    });

    // Regression (labelling, fixed): with no Python literal anywhere, the reason still says 'python_literal_metadata'
    // because every non-identity plan that is not legacy gets that label.
    it('does not blame Python literals for dropping a generated column', () => {
      const header = ['id', 'document_vector', 'collection_id', 'embedding', 'document', 'cmetadata'];
      const plan = planTableLoad('e.csv', header, [['a', '', COLL, '[1]', 'doc', '{"id":"a"}']], target);
      expect(plan.reason).not.toBe('python_literal_metadata');
    });
  });

  describe('legacy layouts', () => {
    const LEGACY_HEADER = ['uuid', 'collection_id', 'embedding', 'document', 'cmetadata', 'custom_id'];
    const U = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

    it('loads uuid/custom_id files into an id table, id from custom_id', () => {
      const plan = planTableLoad('e.csv', LEGACY_HEADER, [], EMBEDDING);
      expect(plan.reason).toBe('legacy_schema');
      expect(plan.columns).toEqual(['collection_id', 'embedding', 'document', 'cmetadata', 'id']);
      expect(plan.transform!([U, COLL, '[1]', 'doc', '{"a":1}', 'q-sql'])).toEqual([COLL, '[1]', 'doc', '{"a":1}', 'q-sql']);
    });

    it('falls back to uuid when custom_id is NULL, and converts literals too', () => {
      const plan = planTableLoad('e.csv', LEGACY_HEADER, [], EMBEDDING);
      expect(plan.transform!([U, COLL, '[1]', 'doc', "{'a': None}", null])).toEqual([COLL, '[1]', 'doc', '{"a":null}', U]);
    });

    it('loads id files into a uuid/custom_id table with a fresh UUID per row', () => {
      const plan = planTableLoad('e.csv', HEADER, [], OLD_EMBEDDING);
      expect(plan.reason).toBe('legacy_schema');
      expect(plan.columns).toEqual(['collection_id', 'embedding', 'document', 'cmetadata', 'custom_id', 'uuid']);
      const first = plan.transform!(row('q-ddl', "{'id': 'q-ddl'}"))!;
      const second = plan.transform!(row('q-ddl', null))!;
      expect(first.slice(0, 5)).toEqual([COLL, '[0.1,0.2]', '查询服务区', '{"id":"q-ddl"}', 'q-ddl']);
      expect(first[5]).toMatch(UUID_RE);
      expect(second[5]).toMatch(UUID_RE);
      expect(second[5]).not.toBe(first[5]);
    });

    it('loads a legacy file into a legacy table raw', () => {
      const plan = planTableLoad('e.csv', LEGACY_HEADER, [], OLD_EMBEDDING);
      expect(plan.reason).toBe('raw');
      expect(plan.transform).toBeNull();
      expect(plan.columns).toEqual(LEGACY_HEADER);
    });
  });
});
