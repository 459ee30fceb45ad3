import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DIR } from './app.js';

/** The seed documents (the original service's API guides) live in shared/, beside the repository. */
export const SEEDS_DIR = path.join(SHARED_DIR, 'seeds');

/**
 * Tests whose subject is a seed document read it from shared/ (CI has it; a lone clone does not).
 * Returns the reason to skip, said once on stderr, or null when every document is there.
 */
export function seedDocsMissing(testFile: string, docs: readonly string[]): string | null {
  const missing = docs.filter((doc) => !fs.existsSync(path.join(SEEDS_DIR, doc)));
  if (missing.length === 0) return null;
  const reason = `skipped: seed document(s) ${missing.join(', ')} not found under ${SEEDS_DIR} (set SHARED_DIR to the project's shared/ folder)`;
  console.warn(`[${path.basename(testFile)}] ${reason}`);
  return reason;
}

/** Every `curl …` command of a seed document, in order: continuation lines, multi-line -d bodies and pipes included. */
export function curlCommands(markdown: string): string[] {
  const commands: string[] = [];
  let current: string[] | null = null;
  for (const line of markdown.split('\n')) {
    if (!current && /^\s*curl\s/.test(line)) current = [];
    if (!current) continue;
    current.push(line);
    const text = current.join('\n');
    const balanced = (text.match(/'/g) ?? []).length % 2 === 0;
    if (balanced && !line.trimEnd().endsWith('\\')) {
      commands.push(text.trim());
      current = null;
    }
  }
  return commands;
}
