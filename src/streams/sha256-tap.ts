import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

export interface Sha256Tap extends Transform {
  /** Bytes that passed through so far. */
  bytes(): number;
  /** Hex SHA-256 of every byte that passed; only meaningful once the stream has ended. */
  sha256(): string | null;
}

export interface Sha256TapOptions {
  /**
   * The digest the bytes must have. On a mismatch the stage fails at its end, before it passes
   * the end on: a COPY FROM downstream never sees a clean end and is cancelled (CopyFail).
   */
  expected?: string;
  /** The error a mismatch raises (the caller knows the file and the error type). */
  mismatch?: (actual: string) => Error;
}

/**
 * A pass-through stage that hashes and counts the bytes of a stream while they flow, so a file's
 * checksum and size come from the one pass that writes (backup) or loads (restore) it: no second
 * read of a file that may be gigabytes. Chunks are passed on untouched.
 */
export function createSha256Tap(options: Sha256TapOptions = {}): Sha256Tap {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | null = null;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      digest = hash.digest('hex');
      if (options.expected !== undefined && digest !== options.expected.toLowerCase()) {
        callback(options.mismatch?.(digest) ?? new Error(`SHA-256 mismatch: expected ${options.expected}, got ${digest}`));
        return;
      }
      callback();
    },
  });
  return Object.assign(tap, { bytes: () => bytes, sha256: () => digest });
}
