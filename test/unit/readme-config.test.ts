import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { observabilityEnv } from '../../src/config/observability-env.js';
import { providerEnv } from '../../src/config/provider-env.js';
import { serverEnv } from '../../src/config/server-env.js';
import { workEnv } from '../../src/config/work-env.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VARIABLES = Object.keys({ ...serverEnv, ...providerEnv, ...workEnv, ...observabilityEnv });

describe('every configuration variable is documented', () => {
  it('has a row in the README configuration table', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const rows = new Set([...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect(VARIABLES.filter((name) => !rows.has(name))).toEqual([]);
  });

  it('appears in .env.example, which leaves DATABASE_URL commented out (the embedded database by default)', () => {
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const named = new Set([...example.matchAll(/^#? ?([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(VARIABLES.filter((name) => !named.has(name))).toEqual([]);
    expect(example).not.toMatch(/^DATABASE_URL=/m);
    expect(example).toMatch(/^# DATABASE_URL=postgresql:\/\//m);
  });
});
