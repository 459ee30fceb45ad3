import { createHash } from 'node:crypto';

export interface DemoRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both ends included. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `length` characters drawn from `alphabet`. */
  text(length: number, alphabet: string): string;
}

/** FNV-1a over the UTF-8 bytes: a 32-bit seed from a row key. */
function seedOf(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * mulberry32 seeded from a key. Every row draws from its own generator keyed by what identifies
 * it (branch and date, say), so a row's values never depend on which other rows were generated
 * before it: moving the "recent" window or adding a service area leaves every other row as it was.
 */
export function createRandom(key: string): DemoRandom {
  let state = seedOf(key);
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (probability) => next() < probability,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick() needs at least one item');
      return items[int(0, items.length - 1)]!;
    },
    text: (length, alphabet) => Array.from({ length }, () => alphabet[int(0, alphabet.length - 1)]).join(''),
  };
}

/** A 32-character hex id like the fixture's, derived from a key: stable and, unlike PRNG draws, collision-free. */
export function hexId(key: string): string {
  return createHash('md5').update(key).digest('hex');
}
