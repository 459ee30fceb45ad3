import fs from 'node:fs/promises';

/** `fs.promises.open`, or a caller's stand-in returning real handles (how tests inject I/O faults). */
export type OpenFile = (file: string, flags: string) => Promise<fs.FileHandle>;

export const openFile: OpenFile = (file, flags) => fs.open(file, flags);

/**
 * fsync of a directory: makes the renames and creations inside it durable. fdatasync of a file
 * covers its data, not the directory entry naming it; without this a power loss after a rename
 * can bring back the `.tmp` name (or no name at all) even though the data blocks were on disk.
 */
export async function syncDirectory(dir: string, open: OpenFile = openFile): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
