import { randomUUID } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** Writes and removes a small file in `dir`: the directory exists and takes writes (permissions, read-only mount, full disk). */
export async function probeWritableDir(dir: string): Promise<{ ok: true } | { ok: false; error: string }> {
  const probe = path.join(dir, `.health-${randomUUID()}`);
  try {
    await fsp.writeFile(probe, 'ok');
    await fsp.rm(probe, { force: true });
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
