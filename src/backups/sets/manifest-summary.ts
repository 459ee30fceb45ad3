import { BackupStoreUnavailableError } from '../../errors.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { readStoredManifest } from './backup-manifest.js';
import { formatOfFile } from './set-naming.js';

/** What the list shows of a set's manifest (SPEC §7); legacy sets have none. */
export interface ManifestSummary {
  has_manifest: boolean;
  /** True for a set without manifest (the original's): restorable, not checksummed. */
  legacy: boolean;
  format: string;
  compression: string;
  label: string | null;
  /** Rows per table, from the manifest. */
  rows: Record<string, number> | null;
  collections: { uuid: string; name: string; rows: number }[] | null;
  source_database: string | null;
  /** Why a manifest that exists cannot be used (it is then listed, but verify and restore refuse it). */
  manifest_error?: string;
}

/**
 * The manifest fields of one listed set. The list must never fail because of one bad set: an
 * unreadable manifest is shown as such (`manifest_error`), a missing one as a legacy set whose
 * format and compression follow from its file names.
 */
export async function manifestSummary(store: BackupStore, location: StoreLocation, timestamp: string, dataFile: string): Promise<ManifestSummary> {
  const legacy: ManifestSummary = {
    has_manifest: false,
    legacy: true,
    format: formatOfFile(dataFile),
    compression: dataFile.endsWith('.gz') ? 'gzip' : 'none',
    label: null,
    rows: null,
    collections: null,
    source_database: null,
  };
  try {
    const manifest = await readStoredManifest(store, location, timestamp);
    if (manifest === null) return legacy;
    return {
      has_manifest: true,
      legacy: false,
      format: manifest.format,
      compression: manifest.compression,
      label: manifest.label,
      rows: Object.fromEntries(manifest.tables.map((t) => [t.table, t.rows])),
      collections: manifest.collections,
      source_database: manifest.source.database,
    };
  } catch (err) {
    // The store itself failing is the request's failure (503), not one set's.
    if (err instanceof BackupStoreUnavailableError) throw err;
    return { ...legacy, has_manifest: true, legacy: false, manifest_error: (err as Error).message };
  }
}
