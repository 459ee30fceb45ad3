import { describe, expect, it } from 'vitest';
import { BinaryCopyScanner } from './binary-copy-counter.js';

/** A binary COPY stream: header (with an extension area), the tuples, and the -1 trailer. */
function binaryCopy(tuples: (Buffer | null)[][], extension = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), int32(0), int32(extension.length), extension];
  for (const fields of tuples) {
    parts.push(int16(fields.length));
    for (const f of fields) parts.push(...(f === null ? [int32(-1)] : [int32(f.length), f]));
  }
  parts.push(int16(-1));
  return Buffer.concat(parts);
}
const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

function scan(chunks: Buffer[]): { tuples: number; error: string | null } {
  const scanner = new BinaryCopyScanner();
  let tuples = 0;
  for (const c of chunks) tuples += scanner.scan(c);
  expect(tuples).toBe(scanner.count());
  return { tuples, error: scanner.error() };
}

describe('BinaryCopyScanner', () => {
  const file = binaryCopy(
    [
      [Buffer.from('row-1'), null, Buffer.alloc(40, 7)],
      [Buffer.from('row-2'), Buffer.from('x'), Buffer.alloc(0)],
      [],
      [Buffer.from('row-4'), null, null],
    ],
    Buffer.from('ext!'),
  );

  it('counts tuples (NULLs, empty values and zero-field tuples included) at every split point', () => {
    expect(scan([file])).toEqual({ tuples: 4, error: null });
    for (let cut = 1; cut < file.length; cut++) expect(scan([file.subarray(0, cut), file.subarray(cut)])).toEqual({ tuples: 4, error: null });
    expect(scan([...file].map((byte) => Buffer.from([byte])))).toEqual({ tuples: 4, error: null });
  });

  it('reports a truncated stream, a wrong signature and bytes after the trailer', () => {
    expect(scan([file.subarray(0, file.length - 1)]).error).toContain('不完整');
    expect(scan([file.subarray(0, 30)]).error).toContain('不完整');
    expect(scan([Buffer.from('id,doc\n1,abc\n2,def\n')]).error).toContain('签名');
    expect(scan([file, Buffer.from([0])]).error).toContain('结束标记之后');
    expect(scan([]).error).not.toBeNull();
  });
});
