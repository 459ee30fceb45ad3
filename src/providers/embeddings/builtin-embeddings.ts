import { EmbeddingError, type EmbeddingProvider, type EmbedOptions } from '../types.js';
import { normalizeVector } from './normalize-vector.js';

export const BUILTIN_EMBEDDING_MODEL = 'builtin-lexical-hash-v1';

// Scripts written without spaces between words; they get character unigrams and bigrams instead of words.
const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}';
const TOKEN = new RegExp(`[${CJK}]+|(?:(?![${CJK}])[\\p{L}\\p{N}])+`, 'gu');
const CJK_RUN = new RegExp(`^[${CJK}]`, 'u');

/**
 * How much each kind of feature counts. Whole words and CJK bigrams carry most of the meaning;
 * single CJK characters and character 3-grams are weaker evidence but make the embedding tolerant
 * of typos, inflections (order/orders) and word-order changes.
 */
const WEIGHTS = { word: 1, cjkChar: 0.5, cjkBigram: 1, trigram: 0.5 } as const;
type FeatureKind = keyof typeof WEIGHTS;
const FEATURE_KINDS = Object.keys(WEIGHTS) as FeatureKind[];
/** Per-kind FNV bases: hashing continues from the hash of the kind's name, as if it were a prefix. */
const SEEDS = Object.fromEntries(FEATURE_KINDS.map((kind) => [kind, fnv1a(`${kind}:`)])) as Record<FeatureKind, number>;

/**
 * The offline fallback used when no embedding endpoint is configured. It is a real embedding for
 * retrieval by surface similarity — texts that share words, CJK characters or character n-grams get
 * a high cosine — but it knows nothing about meaning: synonyms and paraphrases with no words in common
 * score like unrelated text. Configure a model endpoint when semantic recall matters.
 *
 * Method: feature hashing. Each feature is hashed with FNV-1a (stable across processes and platforms,
 * unlike anything seeded per run) into one of `dimensions` buckets, with a ± sign from another bit so
 * that collisions cancel out on average instead of piling up; counts are damped to 1 + ln(tf) so a
 * repeated word does not drown the rest, and the result is L2-normalised.
 *
 * Changing tokenisation, weights or hashing changes every vector: bump the model name when doing so,
 * because vectors from different versions must never be compared.
 */
export class BuiltinEmbeddings implements EmbeddingProvider {
  readonly name = 'builtin';
  readonly model = BUILTIN_EMBEDDING_MODEL;

  constructor(readonly dimensions: number) {
    if (!Number.isInteger(dimensions) || dimensions < 1) {
      throw new EmbeddingError(`Built-in embedding dimensions must be a positive integer, got ${dimensions}`);
    }
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<number[][]> {
    return texts.map((text) => {
      options.signal?.throwIfAborted();
      return this.embedOne(text);
    });
  }

  private embedOne(text: string): number[] {
    const vector = new Float64Array(this.dimensions);
    const features = extractFeatures(text);
    for (const kind of FEATURE_KINDS) {
      for (const [feature, count] of features[kind]) {
        const mixed = fmix32(fnv1a(feature, SEEDS[kind]));
        const bucket = mixed % this.dimensions;
        const sign = mixed & 0x80000000 ? -1 : 1;
        vector[bucket] = (vector[bucket] ?? 0) + sign * WEIGHTS[kind] * (1 + Math.log(count));
      }
    }
    return normalizeVector(vector);
  }
}

/** Feature → occurrence count, per kind; kinds hash with different seeds so equal strings land apart. */
function extractFeatures(text: string): Record<FeatureKind, Map<string, number>> {
  const features: Record<FeatureKind, Map<string, number>> = {
    word: new Map(),
    cjkChar: new Map(),
    cjkBigram: new Map(),
    trigram: new Map(),
  };
  const add = (kind: FeatureKind, feature: string) => {
    const counts = features[kind];
    counts.set(feature, (counts.get(feature) ?? 0) + 1);
  };
  // NFKC folds full-width letters and digits (common in Chinese text) onto their ASCII forms.
  const tokens = text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
  for (const token of tokens) {
    if (!CJK_RUN.test(token)) {
      add('word', token);
      continue;
    }
    const chars = Array.from(token);
    chars.forEach((char, i) => {
      add('cjkChar', char);
      const next = chars[i + 1];
      if (next !== undefined) add('cjkBigram', char + next);
    });
  }
  if (tokens.length === 0) return features;
  // Punctuation and spacing are already gone, so "order_items" and "order items" give the same 3-grams.
  const normalised = Array.from(` ${tokens.join(' ')} `);
  for (let i = 0; i + 2 < normalised.length; i++) {
    add('trigram', `${normalised[i]}${normalised[i + 1]}${normalised[i + 2]}`);
  }
  return features;
}

/** 32-bit FNV-1a over UTF-16 code units, starting from `basis` (the standard one by default). */
function fnv1a(text: string, basis = 0x811c9dc5): number {
  let hash = basis;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * MurmurHash3's finaliser. FNV-1a's low bits mix poorly (its lowest bit is just the parity of the
 * input's low bits), and both the bucket (low bits) and the sign (top bit) are taken from this.
 */
function fmix32(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
