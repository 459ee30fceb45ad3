import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A secret no reply may ever contain: it sits in a file outside the data root. */
export const SECRET_TEXT = 'SENTINEL-SECRET-7f3c9a1e-do-not-leak';

/**
 * A directory outside the data root with a secret file and a complete-looking backup set, so a
 * listing, read or write that escapes the root is visible: either as the secret in a reply or as a
 * change in `snapshot()`.
 */
export function createSentinelDir(): { dir: string; snapshot(): string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-sentinel-'));
  fs.writeFileSync(path.join(dir, 'secret.txt'), `${SECRET_TEXT}\n`);
  fs.writeFileSync(path.join(dir, 'table_list.txt'), 'public.bss_company\n');
  fs.writeFileSync(path.join(dir, 'langchain_pg_collection_20991231_235959.csv'), `uuid,name,cmetadata\n${SECRET_TEXT}\n`);
  fs.writeFileSync(path.join(dir, 'langchain_pg_embedding_20991231_235959.csv'), `id,collection_id,embedding,document,cmetadata\n${SECRET_TEXT}\n`);
  fs.writeFileSync(path.join(dir, 'data_pipeline.log'), `2099-12-31 23:59:59 [INFO] x: ${SECRET_TEXT}\n`);
  return {
    dir,
    snapshot: () => snapshotTree(dir),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every entry under `dir` (hidden ones included) with its type, size and content hash. */
export function snapshotTree(dir: string): string {
  const lines: string[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    if (entry.isFile()) lines.push(`${rel} ${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`);
    else lines.push(`${rel} ${entry.isDirectory() ? 'dir' : 'other'}`);
  }
  return lines.sort().join('\n');
}
