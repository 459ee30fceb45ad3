/**
 * Reads the V8 CPU profiles a server wrote with `--cpu-prof` and sums self time per function, to
 * see what the server's one JavaScript thread did during a bench (CSV scanning, hashing, JSON,
 * HTTP, pg protocol…). Idle time is reported apart.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export interface HotFunction { name: string; self_ms: number; share: number }

export function topFunctions(dir: string, limit = 15): { total_ms: number; idle_ms: number; gc_ms: number; top: HotFunction[] } {
  const self = new Map<string, number>();
  let total = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)!.callFrame;
      const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${frame.lineNumber + 1}` : '';
      const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      self.set(key, (self.get(key) ?? 0) + ms);
      total += ms;
    });
  }
  const idle = self.get('(idle)') ?? 0;
  const gc = self.get('(garbage collector)') ?? 0;
  const top = [...self.entries()]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, self_ms: Math.round(ms), share: total > 0 ? ms / (total - idle) : 0 }));
  return { total_ms: Math.round(total), idle_ms: Math.round(idle), gc_ms: Math.round(gc), top };
}
