import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape of src/ that HOUSE_STYLE asks for, checked on every run so it cannot drift:
 * small files, small folders, imports that point one way (files and top-level folders), and no
 * production code reaching into test/. Relative imports only (packages cannot form cycles with
 * src/), type-only imports included: a type cycle is still two modules that cannot be read apart.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');
const TEST = path.join(ROOT, 'test');
const MAX_FILE_LINES = 300;
const MAX_FILES_PER_FOLDER = 15;

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

const allFiles = walk(SRC);
const rel = (file: string) => path.relative(ROOT, file);
const isTestFile = (file: string) => file.endsWith('.test.ts');
/** Production modules: the import graph of the server itself (co-located unit tests are leaves). */
const modules = allFiles.filter((f) => f.endsWith('.ts') && !isTestFile(f));

// Static `import … from`, `export … from`, side-effect `import '…'`, and dynamic `import('…')`.
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** The files a module imports, resolved the way NodeNext + tsx do (`./x.js` → `./x.ts`). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    const base = path.resolve(path.dirname(file), spec);
    const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts'), base];
    const target = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    out.push(target ?? base);
  }
  return out;
}

const fileGraph = new Map(modules.map((f) => [f, importsOf(f).filter((t) => t.startsWith(SRC + path.sep))]));

/** Each top-level folder of src/ is a node, and so is each file directly in src/. */
const topLevelOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;
const folderGraph = new Map<string, string[]>();
for (const [from, targets] of fileGraph) {
  const a = topLevelOf(from);
  const edges = new Set(folderGraph.get(a) ?? []);
  for (const t of targets) if (topLevelOf(t) !== a) edges.add(topLevelOf(t));
  folderGraph.set(a, [...edges].sort());
}

/** Cycles found by depth-first search (at least one through every cycle-carrying component). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const seen = new Set<string>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    seen.add(node);
    onStack.add(node);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (onStack.has(next)) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!seen.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
  };
  for (const node of [...graph.keys()].sort()) if (!seen.has(node)) visit(node);
  return cycles;
}

describe('src/ structure', () => {
  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = allFiles
      .map((f) => {
        const text = fs.readFileSync(f, 'utf8');
        const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        return { file: rel(f), lines };
      })
      .filter((f) => f.lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`has no folder with more than ${MAX_FILES_PER_FOLDER} files directly in it`, () => {
    const folders = [SRC, ...walk(SRC).map((f) => path.dirname(f))].filter((d, i, all) => all.indexOf(d) === i);
    const crowded = folders
      .map((dir) => ({ dir: rel(dir), files: fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).length }))
      .filter((d) => d.files > MAX_FILES_PER_FOLDER);
    expect(crowded).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const cycles = findCycles(fileGraph).map((c) => c.map((f) => path.relative(SRC, f)).join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('has no import cycle between top-level folders (a file directly in src/ is its own node)', () => {
    const cycles = findCycles(folderGraph).map((c) => c.join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('production code imports nothing under test/', () => {
    const reaching = modules.flatMap((f) => importsOf(f).filter((t) => t.startsWith(TEST + path.sep)).map((t) => `${rel(f)} -> ${rel(t)}`));
    expect(reaching).toEqual([]);
  });

  it('sees the import graph it checks (guards the parser against silently finding nothing)', () => {
    expect(fileGraph.get(path.join(SRC, 'main.ts'))).toContain(path.join(SRC, 'app.ts'));
    // A type-only import is an edge too.
    expect(fileGraph.get(path.join(SRC, 'db/database-registry.ts'))).toContain(path.join(SRC, 'config.ts'));
  });
});
