import { createHash, randomUUID } from 'node:crypto';
import { ConflictError, ERROR_TYPES, ValidationError } from '../../errors.js';
import type { CsvField } from '../../streams/csv-rows.js';
import { collectionFilterOf, type CollectionSelection } from './collection-filter.js';
import type { OnConflict } from './selection-fields.js';

export interface CollectionRef {
  uuid: string;
  name: string;
}

export interface RenameOptions extends CollectionSelection {
  collectionSuffix?: string | undefined;
  collectionRenames?: Record<string, string> | undefined;
  onConflict?: OnConflict | undefined;
}

/** Where one of the set's collections goes. */
export interface CollectionTarget {
  source: CollectionRef;
  target: CollectionRef;
  /** Restored under another name: its embeddings get fresh ids. */
  renamed: boolean;
  /** The target name is a live collection: its row is not loaded, its embeddings go into it. */
  exists: boolean;
}

/** A record mapper over the rows of one table in its load order; null drops the row. */
export type RecordMapper = (record: CsvField[]) => CsvField[] | null;

/**
 * The collections of a restore (SPEC §7): which of the set's collections are selected, and under
 * which name and UUID each lands. Without renames a collection is matched by name, so a set from
 * another database restores into the live collection of the same name; a renamed one gets a fresh
 * UUID and its embeddings fresh ids, so it restores beside the live data. Pure: the caller reads
 * the live collections inside its transaction.
 */
export class CollectionRemap {
  private constructor(
    readonly targets: ReadonlyMap<string, CollectionTarget>,
    /** The set's collections left out by include/exclude. */
    private readonly unselected: ReadonlySet<string>,
    readonly filtered: boolean,
    /** Renamed collections whose new name already exists (409 unless on_conflict allows it). */
    readonly renameConflicts: readonly CollectionTarget[],
  ) {}

  static plan(setCollections: readonly CollectionRef[], live: readonly CollectionRef[], options: RenameOptions): CollectionRemap {
    const renames = options.collectionRenames ?? {};
    const unknown = Object.keys(renames).filter((name) => !setCollections.some((c) => c.name === name));
    if (unknown.length > 0) {
      throw new ValidationError(`参数 collection_renames 中的集合在备份集中不存在: ${unknown.join(', ')}`, ERROR_TYPES.INVALID_PARAMS, {
        invalidParams: ['collection_renames'],
      });
    }
    const matches = collectionFilterOf(options);
    const liveByName = new Map(live.map((c) => [c.name, c]));
    const liveUuids = new Set(live.map((c) => c.uuid));
    const targets = new Map<string, CollectionTarget>();
    const unselected = new Set<string>();
    for (const source of setCollections) {
      if (matches && !matches(source.name)) {
        unselected.add(source.uuid);
        continue;
      }
      const name = renames[source.name] ?? (options.collectionSuffix ? `${source.name}${options.collectionSuffix}` : source.name);
      const renamed = name !== source.name;
      const existing = liveByName.get(name);
      // A UUID the live table already uses under another name cannot be reused.
      const uuid = existing?.uuid ?? (renamed || liveUuids.has(source.uuid) ? randomUUID() : source.uuid);
      targets.set(source.uuid, { source, target: { uuid, name }, renamed, exists: existing !== undefined });
    }
    const conflicts = [...targets.values()].filter((t) => t.renamed && t.exists);
    return new CollectionRemap(targets, unselected, matches !== null, conflicts);
  }

  /** A renamed collection that exists already is a conflict unless the caller chose skip or upsert. */
  assertNoRenameConflict(onConflict: OnConflict): void {
    const [first] = this.renameConflicts;
    if (!first || onConflict !== 'error') return;
    throw new ConflictError(
      `重命名后的集合已存在: ${first.source.name} → ${first.target.name}（可用 on_conflict=skip 或 upsert 恢复到该集合）`,
      ERROR_TYPES.VECTOR_RESTORE_CONFLICT,
      { details: { collection: first.source.name, target_name: first.target.name, target_uuid: first.target.uuid } },
    );
  }

  /**
   * Every selected collection lands as itself (no selection, no rename, the same UUID) and some are
   * live already: then dropping the live ones' rows is the same as skipping their key on conflict,
   * which a binary collection file (no rows to drop in the stream) can do through ON CONFLICT.
   */
  get liveAsIs(): boolean {
    const targets = [...this.targets.values()];
    return !this.filtered && targets.some((t) => t.exists) && targets.every((t) => !t.renamed && t.target.uuid === t.source.uuid);
  }

  /** Rows of the collection table: live ones (matched by name) dropped, the others renamed and re-keyed. Null: unchanged. */
  collectionMapper(columns: readonly string[]): RecordMapper | null {
    const targets = [...this.targets.values()];
    if (!this.filtered && targets.every((t) => !t.exists && !t.renamed && t.target.uuid === t.source.uuid)) return null;
    const uuidAt = columns.indexOf('uuid');
    const nameAt = columns.indexOf('name');
    return (record) => {
      const t = this.targets.get(record[uuidAt] ?? '');
      if (!t) return this.filtered ? null : record;
      if (t.exists) return null;
      record[uuidAt] = t.target.uuid;
      if (nameAt >= 0) record[nameAt] = t.target.name;
      return record;
    };
  }

  /** Rows of the embedding table: unselected ones dropped, collection ids remapped, renamed ones with fresh ids. Null: unchanged. */
  embeddingMapper(columns: readonly string[]): RecordMapper | null {
    const targets = [...this.targets.values()];
    if (!this.filtered && targets.every((t) => !t.renamed && t.target.uuid === t.source.uuid)) return null;
    const collectionAt = columns.indexOf('collection_id');
    // langchain-postgres keeps the caller's id in `id`; older langchain in `custom_id`, with a row `uuid` as key.
    const idAt = columns.includes('id') ? columns.indexOf('id') : columns.indexOf('custom_id');
    const rowUuidAt = columns.includes('custom_id') ? columns.indexOf('uuid') : -1;
    const metadataAt = columns.indexOf('cmetadata');
    return (record) => {
      const source = record[collectionAt] ?? '';
      const t = this.targets.get(source);
      if (!t) return this.filtered || this.unselected.has(source) ? null : record;
      record[collectionAt] = t.target.uuid;
      if (!t.renamed) return record;
      const oldId = idAt >= 0 ? record[idAt] : null;
      if (idAt >= 0 && oldId !== null && oldId !== undefined) {
        const newId = freshEmbeddingId(t.target.uuid, oldId);
        record[idAt] = newId;
        if (metadataAt >= 0) record[metadataAt] = withMetadataId(record[metadataAt] ?? null, oldId, newId);
      }
      if (rowUuidAt >= 0 && record[rowUuidAt]) record[rowUuidAt] = freshEmbeddingId(t.target.uuid, record[rowUuidAt]!);
      return record;
    };
  }

  /** What the reply says about each selected collection, by name. */
  report(): { name: string; uuid: string; target_name: string; target_uuid: string; action: 'created' | 'existing' }[] {
    const byName = [...this.targets.values()].sort((a, b) => (a.source.name < b.source.name ? -1 : a.source.name > b.source.name ? 1 : 0));
    return byName.map((t) => ({
      name: t.source.name,
      uuid: t.source.uuid,
      target_name: t.target.name,
      target_uuid: t.target.uuid,
      action: t.exists ? 'existing' : 'created',
    }));
  }
}

/**
 * A renamed collection's embedding id: a new UUID that keeps the original's `-ddl|-doc|-sql`
 * suffix (the pipeline's id scheme). Derived from the target collection and the original id
 * (name-based, like a UUID v5), so restoring the same set into the same collection again gives the
 * same ids: on_conflict then skips or updates them instead of adding copies.
 */
export function freshEmbeddingId(targetUuid: string, oldId: string): string {
  const suffix = /-(ddl|doc|sql)$/.exec(oldId)?.[0] ?? '';
  const hash = createHash('sha1').update(`${targetUuid}\u0000${oldId}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}${suffix}`;
}

/** `cmetadata.id` follows the row's new id when it held the old one. */
function withMetadataId(metadata: CsvField, oldId: string, newId: string): CsvField {
  if (metadata === null || metadata === '') return metadata;
  const value: unknown = JSON.parse(metadata);
  if (!value || typeof value !== 'object' || Array.isArray(value) || (value as { id?: unknown }).id !== oldId) return metadata;
  return JSON.stringify({ ...(value as object), id: newId });
}
