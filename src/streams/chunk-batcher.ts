import { Transform } from 'node:stream';

/**
 * Joins small chunks into ~`size`-byte buffers. COPY TO delivers one chunk per row (a few kB for
 * a 1024-dim vector); writing each as its own file write costs a thread-pool round trip apiece and
 * doubled the backup's CPU time in measurements. Memory stays bounded by `size`.
 */
export function createChunkBatcher(size = 1024 * 1024): Transform {
  let parts: Buffer[] = [];
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      length += chunk.length;
      if (length < size) return callback();
      const joined = Buffer.concat(parts, length);
      parts = [];
      length = 0;
      callback(null, joined);
    },
    flush(callback) {
      callback(null, length > 0 ? Buffer.concat(parts, length) : undefined);
    },
  });
}
