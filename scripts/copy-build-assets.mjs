// Copies what the compiled server reads at run time but tsc does not emit: the numbered .sql
// migrations, into <outDir>/db/migrations beside dist/db/migrate.js, which finds them relative to
// its own module. `node dist/main.js` then runs with no src/ present.
// Usage: node scripts/copy-build-assets.mjs [outDir]   (default: dist, as in tsconfig.build.json)
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.resolve(root, process.argv[2] ?? 'dist');
const from = path.join(root, 'src/db/migrations');
const to = path.join(outDir, 'db/migrations');

// Replaced, not merged: dist mirrors src, so a migration file renamed in src leaves no stale copy.
fs.rmSync(to, { recursive: true, force: true });
fs.mkdirSync(to, { recursive: true });
const files = fs.readdirSync(from).filter((name) => name.endsWith('.sql'));
for (const name of files) fs.copyFileSync(path.join(from, name), path.join(to, name));
