import path from 'node:path';

/** True when `child` is `parent` itself or lies inside it (both absolute, symlink-free). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
