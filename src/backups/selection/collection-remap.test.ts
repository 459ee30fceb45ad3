import { describe, expect, it } from 'vitest';
import { CollectionRemap, freshEmbeddingId } from './collection-remap.js';

const SQL = { uuid: 'f4e11877-44e7-4741-b511-fa0e2e399395', name: 'sql' };
const DDL = { uuid: 'f0b714ca-44a9-433a-8768-390740bd1a18', name: 'ddl' };
const COLUMNS = ['id', 'collection_id', 'embedding', 'document', 'cmetadata'];
const row = (id: string, collection: string) => [id, collection, '[1,2]', 'doc', JSON.stringify({ id, n: 1 })];

describe('CollectionRemap', () => {
  it('changes nothing when the set restores onto itself (the raw path stays)', () => {
    const remap = CollectionRemap.plan([SQL, DDL], [SQL, DDL], {});
    expect(remap.embeddingMapper(COLUMNS)).toBeNull();
    // The live collections exist: their rows are not loaded again.
    expect(remap.collectionMapper(['uuid', 'name', 'cmetadata'])!([SQL.uuid, 'sql', null])).toBeNull();
    expect(CollectionRemap.plan([SQL, DDL], [], {}).collectionMapper(['uuid', 'name', 'cmetadata'])).toBeNull();
  });

  it('liveAsIs: only when every collection lands as itself and some are live (what ON CONFLICT can skip for a binary file)', () => {
    expect(CollectionRemap.plan([SQL, DDL], [SQL], {}).liveAsIs).toBe(true);
    expect(CollectionRemap.plan([SQL, DDL], [], {}).liveAsIs).toBe(false);
    expect(CollectionRemap.plan([SQL, DDL], [SQL, DDL], { include: ['sql'] }).liveAsIs).toBe(false);
    expect(CollectionRemap.plan([SQL, DDL], [SQL, DDL], { collectionSuffix: '_r' }).liveAsIs).toBe(false);
    // The same name under another UUID needs remapping; so does a set UUID the live table uses for another name.
    expect(CollectionRemap.plan([SQL], [{ uuid: '11111111-2222-4333-8444-555555555555', name: 'sql' }], {}).liveAsIs).toBe(false);
    expect(CollectionRemap.plan([SQL, DDL], [SQL, { uuid: DDL.uuid, name: 'other' }], {}).liveAsIs).toBe(false);
  });

  it('matches by name: a set from another database goes into the live UUID', () => {
    const live = { uuid: '11111111-2222-4333-8444-555555555555', name: 'sql' };
    const map = CollectionRemap.plan([SQL], [live], {}).embeddingMapper(COLUMNS)!;
    expect(map(row('a-sql', SQL.uuid))).toEqual(row('a-sql', live.uuid));
  });

  it('renames with fresh ids that keep the suffix, cmetadata.id following', () => {
    const remap = CollectionRemap.plan([SQL, DDL], [SQL, DDL], { collectionSuffix: '_r', include: ['sql'] });
    const [target] = remap.report();
    expect(target).toMatchObject({ name: 'sql', target_name: 'sql_r', action: 'created' });
    expect(target!.target_uuid).not.toBe(SQL.uuid);
    const map = remap.embeddingMapper(COLUMNS)!;
    const out = map(row('90998d6c-3206-49d0-a590-50bca62f5efe-sql', SQL.uuid))!;
    expect(out[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-sql$/);
    expect(out[1]).toBe(target!.target_uuid);
    expect(JSON.parse(out[4]!)).toEqual({ id: out[0], n: 1 });
    expect(map(row('b-ddl', DDL.uuid))).toBeNull();
  });

  it('derives the same fresh id for the same target and id, another for another target', () => {
    expect(freshEmbeddingId(SQL.uuid, 'x-doc')).toBe(freshEmbeddingId(SQL.uuid, 'x-doc'));
    expect(freshEmbeddingId(DDL.uuid, 'x-doc')).not.toBe(freshEmbeddingId(SQL.uuid, 'x-doc'));
    expect(freshEmbeddingId(SQL.uuid, 'plain')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a renamed collection that exists is a conflict unless on_conflict allows it', () => {
    const remap = CollectionRemap.plan([SQL], [SQL, { uuid: DDL.uuid, name: 'sql_r' }], { collectionSuffix: '_r' });
    expect(() => remap.assertNoRenameConflict('error')).toThrow(/sql_r/);
    expect(() => remap.assertNoRenameConflict('skip')).not.toThrow();
    expect(remap.report()[0]).toMatchObject({ target_uuid: DDL.uuid, action: 'existing' });
  });
});
