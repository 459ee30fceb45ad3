// `npm start` runs this first: it rebuilds dist/ only when something the build reads changed
// since the last successful build, so a restart with nothing changed starts at once.
// "Changed" is judged by modification times against dist/.build-stamp, whose time is set to when
// that build STARTED (a file saved during a build is newer, so the next start rebuilds). Directory
// times are compared too: deleting or renaming a file changes its directory's time, not any file's.
// Usage: node scripts/build-if-changed.mjs     (exit code of the build when one runs)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** What `npm run build` reads, relative to the project root. */
export const BUILD_INPUTS = ['src', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
export const STAMP = 'dist/.build-stamp';

/** The newest modification time (ms) under `p`, directories included; 0 when it does not exist. */
function newestMtime(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  let newest = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  }
  return newest;
}

/** Why dist/ must be rebuilt, or null when it is up to date. */
export function staleReason(root) {
  let built;
  try {
    built = fs.statSync(path.join(root, STAMP)).mtimeMs;
  } catch {
    return 'no previous build';
  }
  for (const input of BUILD_INPUTS) {
    if (newestMtime(path.join(root, input)) > built) return `${input} changed`;
  }
  return null;
}

/** Runs `npm run build`; on success, stamps dist/ with the time the build started. */
export function build(root) {
  const started = new Date();
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) return result.status ?? 1;
  const stamp = path.join(root, STAMP);
  fs.mkdirSync(path.dirname(stamp), { recursive: true });
  fs.writeFileSync(stamp, `${started.toISOString()}\n`);
  fs.utimesSync(stamp, started, started);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = path.resolve(import.meta.dirname, '..');
  const reason = staleReason(root);
  if (reason === null) {
    console.error('dist/ is up to date, not rebuilding');
  } else {
    console.error(`building dist/ (${reason})`);
    process.exitCode = build(root);
  }
}
