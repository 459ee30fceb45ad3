import fs from 'node:fs';
import path from 'node:path';
import { ERROR_TYPES, NotFoundError, ValidationError } from '../errors.js';
import { isInside } from './path-inside.js';

/** The original's rule for task ids: letters, digits, underscore (so never a path). */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_]+$/;
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

  /** Path of an existing task directory, or 404. */
  existingTaskDir(taskId: string, paramName = 'task_id'): string {
    const dir = this.taskDir(taskId, paramName);
    if (!isDirectory(dir) || !this.contains(fs.realpathSync(dir))) {
      throw new NotFoundError(`指定的任务目录不存在: ${taskId}`);
    }
    return dir;
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

  /** True when `absolute` is the root or inside it. */
  contains(absolute: string): boolean {
    return isInside(this.dir, absolute);
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
