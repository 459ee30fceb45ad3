import { EmbeddingError } from '../types.js';

/** A unit-length copy; the zero vector stays zero (it has no direction to keep). */
export function normalizeVector(vector: ArrayLike<number>): number[] {
  let sumOfSquares = 0;
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i] ?? 0;
    sumOfSquares += value * value;
  }
  const scale = sumOfSquares === 0 ? 0 : 1 / Math.sqrt(sumOfSquares);
  // A preallocated loop, not Array.from(…, fn): this runs once per embedded text, over ~1k dimensions.
  const unit = new Array<number>(vector.length);
  for (let i = 0; i < vector.length; i++) unit[i] = (vector[i] ?? 0) * scale;
  return unit;
}

/**
 * Checks a vector from a remote model before it is stored: pgvector columns have a fixed width, and
 * a NaN would poison every distance computed against it.
 */
export function checkedUnitVector(vector: unknown, dimensions: number, model: string): number[] {
  if (!Array.isArray(vector)) {
    throw new EmbeddingError(`Embedding model ${model} returned no vector for an input`);
  }
  if (vector.length !== dimensions) {
    throw new EmbeddingError(
      `Embedding model ${model} returned ${vector.length} dimensions, expected ${dimensions}; ` +
        'set the configured embedding dimensions to match the model',
    );
  }
  if (!vector.every((value) => typeof value === 'number' && Number.isFinite(value))) {
    throw new EmbeddingError(`Embedding model ${model} returned a vector with non-numeric values`);
  }
  return normalizeVector(vector as number[]);
}

export function zeroVector(dimensions: number): number[] {
  return new Array<number>(dimensions).fill(0);
}

/** Indices of the inputs that need a model call; blank ones get the zero vector instead. */
export function nonBlankIndices(texts: readonly string[]): number[] {
  const indices: number[] = [];
  texts.forEach((text, index) => {
    if (text.trim() !== '') indices.push(index);
  });
  return indices;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += Math.max(1, size)) {
    chunks.push(items.slice(start, start + Math.max(1, size)));
  }
  return chunks;
}
