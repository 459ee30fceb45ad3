import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createSha256Tap } from './sha256-tap.js';

const chunks = ['id,doc\n', '1,"a"\n', '2,"b"\n'].map((c) => Buffer.from(c));
const expected = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');

describe('createSha256Tap', () => {
  it('passes every byte on and knows their hash and count at the end', async () => {
    const tap = createSha256Tap();
    const seen: Buffer[] = [];
    await pipeline(Readable.from(chunks), tap, new Writable({ write: (c, _e, cb) => (seen.push(c), cb()) }));
    expect(Buffer.concat(seen)).toEqual(Buffer.concat(chunks));
    expect(tap.sha256()).toBe(expected);
    expect(tap.bytes()).toBe(Buffer.concat(chunks).length);
  });

  it('fails before passing the end on when the digest differs from the expected one', async () => {
    let ended = false;
    const tap = createSha256Tap({ expected: '0'.repeat(64), mismatch: (actual) => new Error(`mismatch ${actual}`) });
    const sink = new Writable({ write: (_c, _e, cb) => cb(), final: (cb) => ((ended = true), cb()) });
    await expect(pipeline(Readable.from(chunks), tap, sink)).rejects.toThrow(`mismatch ${expected}`);
    expect(ended).toBe(false);
  });
});
