// Copies what the compiled server reads at run time but tsc does not emit: the numbered .sql
// migrations, into <outDir>/db/migrations beside dist/db/migrate.js, which finds them relative to
// its own module; and the dashboard's static files (src/dashboard → <outDir>/dashboard), which
// dist/routes/dashboard.js serves from `../dashboard`. `node dist/main.js` then runs with no src/ present.
// Usage: node scripts/copy-build-assets.mjs [outDir]   (default: dist, as in tsconfig.build.json)
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.resolve(root, process.argv[2] ?? 'dist');

/** Replaced, not merged: dist mirrors src, so a file renamed in src leaves no stale copy. */
function copyFolder(fromRelative, toRelative, keep) {
  const from = path.join(root, fromRelative);
  const to = path.join(outDir, toRelative);
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from).filter(keep)) fs.copyFileSync(path.join(from, name), path.join(to, name));
}

copyFolder('src/db/migrations', 'db/migrations', (name) => name.endsWith('.sql'));
copyFolder('src/dashboard', 'dashboard', (name) => /\.(html|js|css|svg)$/.test(name));
