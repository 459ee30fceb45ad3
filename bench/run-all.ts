/**
 * `npm run bench`: every `bench:*` script of package.json in turn (name order), so a new benchmark
 * joins by adding its script. Each runs as its own `npm run` with the same environment (BENCH_ROWS
 * etc. reach all of them); a failing bench is reported and the others still run; the exit code
 * says whether all passed. BENCH_ONLY=overhead,jobs picks some by suffix.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/bench-support.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const names = Object.keys(pkg.scripts)
  .filter((name) => name.startsWith('bench:') && !pkg.scripts[name]!.includes('bench/run-all.ts'))
  .filter((name) => !only || only.includes(name.slice('bench:'.length)))
  .sort();

const npm = (script: string) =>
  new Promise<number>((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { cwd: ROOT, stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('close', (code) => resolve(code ?? 1));
  });

const outcomes: Array<{ name: string; code: number; seconds: number }> = [];
for (const name of names) {
  console.log(`\n######## npm run ${name}`);
  const t0 = performance.now();
  const code = await npm(name);
  outcomes.push({ name, code, seconds: (performance.now() - t0) / 1000 });
}
console.log('\n######## summary');
for (const o of outcomes) console.log(`${o.code === 0 ? 'ok    ' : 'FAILED'} ${o.name} (${o.seconds.toFixed(0)} s)`);
process.exitCode = outcomes.some((o) => o.code !== 0) ? 1 : 0;
