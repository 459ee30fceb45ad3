/** FNV-1a: a small, stable hash (the same table and intent always get the same wording). */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of text) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * One of several wordings of an intent, chosen by a hash of table and intent: deterministic (the
 * same schema gives the same questions) yet varied across tables, so the set does not read as one
 * template repeated.
 */
export function phrase(table: string, intent: string, variants: string[]): string {
  return variants[stableHash(`${table}\u0000${intent}`) % variants.length]!;
}
