import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without type declarations
import { BUILD_INPUTS, STAMP, staleReason } from '../../scripts/build-if-changed.mjs';

/** Sets the modification time of `p` and everything under it (times set explicitly: no clock involved). */
function setTimes(p: string, time: Date): void {
  if (fs.statSync(p).isDirectory()) for (const name of fs.readdirSync(p)) setTimes(path.join(p, name), time);
  fs.utimesSync(p, time, time);
}

describe('npm start rebuilds only when a build input changed', () => {
  let root: string;
  const built = new Date('2030-01-01T00:00:00Z');
  const before = new Date('2029-12-31T00:00:00Z');
  const after = new Date('2030-01-02T00:00:00Z');

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-build-'));
    fs.mkdirSync(path.join(root, 'src/db/migrations'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src/main.ts'), '');
    fs.writeFileSync(path.join(root, 'src/db/migrations/001.sql'), '');
    fs.mkdirSync(path.join(root, 'scripts'));
    for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) fs.writeFileSync(path.join(root, file), '{}');
    for (const input of BUILD_INPUTS) if (fs.existsSync(path.join(root, input))) setTimes(path.join(root, input), before);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const stamp = () => {
    fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(root, STAMP), '');
    fs.utimesSync(path.join(root, STAMP), built, built);
  };

  it('builds when there was no build, not when nothing changed since', () => {
    expect(staleReason(root)).toBe('no previous build');
    stamp();
    expect(staleReason(root)).toBeNull();
  });

  it('rebuilds after an edit deep in src/, or of package.json', () => {
    stamp();
    fs.utimesSync(path.join(root, 'src/db/migrations/001.sql'), after, after);
    expect(staleReason(root)).toBe('src changed');
    fs.utimesSync(path.join(root, 'src/db/migrations/001.sql'), before, before);
    fs.utimesSync(path.join(root, 'package.json'), after, after);
    expect(staleReason(root)).toBe('package.json changed');
  });

  it('rebuilds after a file was deleted (its directory changed, no file did)', () => {
    stamp();
    fs.rmSync(path.join(root, 'src/db/migrations/001.sql'));
    fs.utimesSync(path.join(root, 'src/db/migrations'), after, after);
    expect(staleReason(root)).toBe('src changed');
  });
});
