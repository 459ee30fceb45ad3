import { Transform } from 'node:stream';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, 32-bit flags, 32-bit header-extension length. */
const HEADER_BYTES = SIGNATURE.length + 8;

type Stage = 'header' | 'count' | 'length' | 'done';

/**
 * Counts the tuples of a PostgreSQL binary COPY stream as its chunks pass, without decoding a
 * value: the header (signature, flags, extension), then per tuple a 16-bit field count (-1 is the
 * trailer) and per field a 32-bit length (-1 for NULL) followed by that many bytes, which are
 * skipped. Chunks may split any of these anywhere. Memory: one 19-byte scratch buffer.
 */
export class BinaryCopyScanner {
  private stage: Stage = 'header';
  private readonly scratch = Buffer.alloc(HEADER_BYTES);
  private have = 0;
  private skip = 0;
  private fieldsLeft = 0;
  private tuples = 0;
  private problem: string | null = null;

  /** Tuples begun in `chunk` (a tuple counts once its field count is read). */
  scan(chunk: Buffer): number {
    const before = this.tuples;
    let i = 0;
    while (i < chunk.length && this.problem === null) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      if (this.stage === 'done') {
        this.problem = '二进制 COPY 文件在结束标记之后还有数据';
        break;
      }
      const need = this.stage === 'header' ? HEADER_BYTES : this.stage === 'count' ? 2 : 4;
      const n = Math.min(need - this.have, chunk.length - i);
      chunk.copy(this.scratch, this.have, i, i + n);
      this.have += n;
      i += n;
      if (this.have === need) {
        this.have = 0;
        this.take();
      }
    }
    return this.tuples - before;
  }

  /** Every tuple read whole and the trailer seen: the stream was a complete binary COPY file. */
  complete(): boolean {
    return this.problem === null && this.stage === 'done' && this.skip === 0;
  }

  /** Why the stream is not a (complete) binary COPY file; null when complete(). */
  error(): string | null {
    if (this.problem !== null) return this.problem;
    return this.complete() ? null : '二进制 COPY 文件不完整 (缺少结束标记：文件被截断或损坏)';
  }

  count(): number {
    return this.tuples;
  }

  private take(): void {
    switch (this.stage) {
      case 'header':
        if (!this.scratch.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
          this.problem = '不是 PostgreSQL 二进制 COPY 文件 (文件头签名不符)';
          return;
        }
        this.skip = this.scratch.readUInt32BE(SIGNATURE.length + 4);
        this.stage = 'count';
        return;
      case 'count': {
        const fields = this.scratch.readInt16BE(0);
        if (fields === -1) {
          this.stage = 'done';
          return;
        }
        if (fields < 0) {
          this.problem = `二进制 COPY 文件的字段数无效 (${fields})`;
          return;
        }
        this.tuples += 1;
        this.fieldsLeft = fields;
        if (fields > 0) this.stage = 'length';
        return;
      }
      case 'length': {
        const length = this.scratch.readInt32BE(0);
        if (length > 0) this.skip = length;
        else if (length < -1) this.problem = `二进制 COPY 文件的字段长度无效 (${length})`;
        this.fieldsLeft -= 1;
        if (this.fieldsLeft === 0) this.stage = 'count';
        return;
      }
      default:
        return;
    }
  }
}

/** A pass-through stage counting binary COPY tuples; `tuples()` and `error()` once it has ended. */
export function createBinaryCopyCounter(): Transform & { tuples(): number; error(): string | null } {
  const scanner = new BinaryCopyScanner();
  const stage = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      scanner.scan(chunk);
      callback(null, chunk);
    },
  });
  return Object.assign(stage, { tuples: () => scanner.count(), error: () => scanner.error() });
}
