import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ERROR_TYPES, ValidationError } from '../errors.js';
import { openFile, syncDirectory, type OpenFile } from './durable-dir.js';
import { isInside } from './path-inside.js';

/**
 * The original's rule for task ids: letters, digits, underscore (so never a path). The length cap
 * keeps every path built from an id far below NAME_MAX (255 bytes): a 4,000-character id is a 400,
 * not an ENAMETOOLONG from the file system.
 */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_]{1,128}$/;
export const TASK_ID_MESSAGE = '无效的task_id格式，只能包含字母、数字和下划线';

/**
 * The data root (DATA_PIPELINE_ROOT) and the only way to turn request input into a path. Every
 * `task_id`, file name and `backup_path` goes through here, so nothing outside the root can be
 * read, written, listed or deleted: `..` segments (also percent-encoded), absolute paths outside
 * the root and symlinks pointing out are rejected.
 */
export class DataRoot {
  /** Absolute, symlink-free path of the root. */
  readonly dir: string;

  constructor(
    configuredRoot: string,
    private readonly cwd: string = process.cwd(),
  ) {
    const absolute = path.resolve(cwd, configuredRoot);
    fs.mkdirSync(absolute, { recursive: true });
    this.dir = fs.realpathSync(absolute);
  }

  /** Checks a task id's format (original rule: letters, digits, underscore). */
  assertTaskId(taskId: string, paramName = 'task_id'): string {
    if (!TASK_ID_PATTERN.test(taskId)) {
      throw new ValidationError(TASK_ID_MESSAGE, ERROR_TYPES.INVALID_PARAMS, {
        invalidParams: [paramName],
      });
    }
    return taskId;
  }

  taskDir(taskId: string, paramName = 'task_id'): string {
    return path.join(this.dir, this.assertTaskId(taskId, paramName));
  }

  /**
   * Resolves a user-given path (relative to the working directory, like the list's
   * `relative_path`, or absolute) that must lie inside the root. Does not require it to exist.
   */
  resolveUserPath(input: string, paramName: string): string {
    let decoded = input;
    try {
      decoded = decodeURIComponent(input);
    } catch {
      // Not percent-encoded; check the raw text.
    }
    const reject = (why: string): never => {
      throw new ValidationError(`参数 ${paramName} 无效: ${why}`, ERROR_TYPES.INVALID_PARAMS, {
        invalidParams: [paramName],
      });
    };
    if (input.includes('\0')) reject('包含非法字符');
    for (const candidate of [input, decoded]) {
      if (candidate.split(/[\\/]+/).includes('..')) reject('路径不能包含 ".."');
    }
    const resolved = path.resolve(this.cwd, input);
    if (!this.contains(resolved)) reject(`路径必须位于数据目录 ${this.relativeToCwd(this.dir)} 之内`);
    // Also for paths that do not exist yet: a symlinked parent may still lead outside.
    if (!this.contains(realpathOfNearestExisting(resolved))) reject('路径通过符号链接指向数据目录之外');
    return resolved;
  }

  /**
   * The real path of `absolute` (built from the root and validated names) when it exists and stays
   * inside the root; null when it does not exist. A symlink on the way that leads outside the root
   * is refused with a 400 naming `paramName`: nothing is read, listed or written through it. This
   * is checked at use, on the real path, so a link created after validation cannot slip through.
   */
  async realInside(absolute: string, paramName?: string): Promise<string | null> {
    let real: string;
    try {
      real = await fsp.realpath(absolute);
    } catch (err) {
      if (!isMissing(err)) throw err;
      // A dangling symlink: its target may be outside, and creating through it would write there.
      if ((await fsp.lstat(absolute).catch(() => null))?.isSymbolicLink()) this.rejectOutside(absolute, paramName);
      return null;
    }
    if (!this.contains(real)) this.rejectOutside(absolute, paramName);
    return real;
  }

  /**
   * Creates the directory `absolute` (inside the root) one component at a time and returns its real
   * path. `mkdir -p` follows an existing symlink silently; here every existing component must
   * resolve inside the root, so a `vector_bak` or task directory linked outside is never written.
   */
  async ensureDir(absolute: string, paramName?: string, open: OpenFile = openFile): Promise<string> {
    if (!this.contains(absolute)) this.rejectOutside(absolute, paramName);
    let current = this.dir;
    for (const part of path.relative(this.dir, absolute).split(path.sep).filter(Boolean)) {
      const next = path.join(current, part);
      const created = await fsp.mkdir(next).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
          return false;
        },
      );
      // A new directory survives a power loss only once its parent's entry for it is synced.
      if (created) await syncDirectory(current, open);
      const real = await this.realInside(next, paramName);
      if (real === null || !(await fsp.stat(real)).isDirectory()) {
        throw new ValidationError(`路径不是目录: ${this.relativeToCwd(next)}`, ERROR_TYPES.INVALID_PARAMS, paramOptions(paramName));
      }
      current = real;
    }
    return current;
  }

  /** The real path of a task's directory, or null when it does not exist (a link out → 400). */
  async realTaskDir(taskId: string, paramName = 'task_id'): Promise<string | null> {
    return this.realInside(this.taskDir(taskId, paramName), paramName);
  }

  /** Creates a task's directory if needed; its real path, never behind a symlink out of the root. */
  async ensureTaskDir(taskId: string, paramName = 'task_id'): Promise<string> {
    return this.ensureDir(this.taskDir(taskId, paramName), paramName);
  }

  private rejectOutside(absolute: string, paramName: string | undefined): never {
    throw new ValidationError(
      `路径通过符号链接指向数据目录之外: ${this.relativeToCwd(absolute)}`,
      ERROR_TYPES.INVALID_PARAMS,
      paramOptions(paramName),
    );
  }

  /** True when `absolute` is the root or inside it. */
  contains(absolute: string): boolean {
    return isInside(this.dir, absolute);
  }

  /** The '/'-separated path of `absolute` (inside the root) relative to the root: how stores name places. */
  keyOf(absolute: string): string {
    return path.relative(this.dir, absolute).split(path.sep).join('/');
  }

  /** The absolute path of a key made by keyOf. */
  absoluteOf(key: string): string {
    return path.join(this.dir, ...key.split('/'));
  }

  /** `./data_pipeline/training_data/...`: the form the list returns and restore accepts. */
  relativeToCwd(absolute: string): string {
    const rel = path.relative(this.cwd, absolute).split(path.sep).join('/');
    if (rel === '') return '.';
    return rel.startsWith('..') || path.isAbsolute(rel) ? rel : `./${rel}`;
  }
}

/**
 * The real path of `p`, resolving symlinks through its nearest existing ancestor; the part that
 * does not exist yet is appended as it is. A dangling symlink resolves to its target.
 */
function realpathOfNearestExisting(p: string): string {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...rest);
    } catch {
      const link = readLinkOrNull(existing);
      if (link !== null) return realpathOfNearestExisting(path.resolve(path.dirname(existing), link));
      const parent = path.dirname(existing);
      if (parent === existing) return p;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

const paramOptions = (paramName: string | undefined) => (paramName ? { invalidParams: [paramName] } : {});

function readLinkOrNull(p: string): string | null {
  try {
    return fs.readlinkSync(p);
  } catch {
    return null;
  }
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
