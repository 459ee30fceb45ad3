import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_TYPES, ValidationError } from '../errors.js';
import { DataRoot } from './data-root.js';

let cwd: string;
let outside: string;
let root: DataRoot;
let rootDir: string;

beforeEach(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'data-root-test-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'data-root-outside-'));
  root = new DataRoot('./data_pipeline/training_data', cwd);
  rootDir = path.join(cwd, 'data_pipeline', 'training_data');
});
afterEach(() => {
  fs.rmSync(cwd, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

function rejection(input: string): ValidationError {
  try {
    root.resolveUserPath(input, 'backup_path');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('DataRoot', () => {
  it('creates the root directory and stores its real path', () => {
    expect(fs.statSync(rootDir).isDirectory()).toBe(true);
    expect(root.dir).toBe(fs.realpathSync(rootDir));
  });

  describe('resolveUserPath', () => {
    it.each([
      ['./data_pipeline/training_data/vector_bak', 'vector_bak'],
      ['data_pipeline/training_data/x', 'x'],
      ['./data_pipeline/training_data', ''],
      ['data_pipeline/training_data/task_1/vector_bak/', 'task_1/vector_bak'],
    ])('accepts %j', (input, rest) => {
      expect(root.resolveUserPath(input, 'backup_path')).toBe(path.join(rootDir, rest));
    });

    it('accepts an absolute path inside the root', () => {
      const inside = path.join(rootDir, 'vector_bak');
      expect(root.resolveUserPath(inside, 'backup_path')).toBe(inside);
    });

    it('accepts a symlink inside the root that stays inside', () => {
      fs.mkdirSync(path.join(rootDir, 'real'));
      fs.symlinkSync(path.join(rootDir, 'real'), path.join(rootDir, 'alias'));
      expect(root.resolveUserPath('./data_pipeline/training_data/alias', 'p')).toBe(path.join(rootDir, 'alias'));
    });

    it.each([
      './data_pipeline/training_data/../../etc',
      './data_pipeline/training_data/x/../y',
      './data_pipeline/training_data/%2e%2e/%2E%2E/etc',
      './data_pipeline/training_data/..%2f..%2fetc',
      'data_pipeline\\training_data\\..\\..\\etc',
      '..',
    ])('rejects the ".." form %j', (input) => {
      const err = rejection(input);
      expect(err.message).toContain('".."');
      expect(err.invalidParams).toEqual(['backup_path']);
      expect(err.errorType).toBe(ERROR_TYPES.INVALID_PARAMS);
    });

    it('rejects paths outside the root, absolute or relative', () => {
      for (const input of [outside, '/etc/passwd', './data_pipeline', './elsewhere', cwd]) {
        expect(rejection(input).message).toContain('./data_pipeline/training_data');
      }
    });

    it('rejects a sibling whose name merely starts with the root name', () => {
      expect(rejection('./data_pipeline/training_data_evil/x').message).toContain('数据目录');
    });

    it('rejects a NUL byte', () => {
      expect(rejection('./data_pipeline/training_data/x\0y').message).toContain('非法字符');
    });

    it('rejects an existing symlink inside the root that points outside', () => {
      fs.symlinkSync(outside, path.join(rootDir, 'escape'));
      expect(rejection('./data_pipeline/training_data/escape').message).toContain('符号链接');
    });

    // Regression (fixed): the symlink check only runs when the full path exists, so a not-yet-existing file under a
    // symlinked directory (or a dangling symlink) that points outside is accepted; writing there escapes.
    it('rejects a new path under a symlinked directory pointing outside', () => {
      fs.symlinkSync(outside, path.join(rootDir, 'escape'));
      rejection('./data_pipeline/training_data/escape/new_file.csv');
    });

    // Regression (fixed): contains() checks `rel.startsWith('..')`, so a legitimate name starting with two dots
    // inside the root (e.g. `..backup`) is reported as outside the data root.
    it('accepts a file name that starts with ".." but is not a ".." segment', () => {
      expect(root.resolveUserPath('./data_pipeline/training_data/..backup', 'p')).toBe(path.join(rootDir, '..backup'));
    });
  });

  describe('relativeToCwd', () => {
    it('returns ./-prefixed forward-slash paths', () => {
      expect(root.relativeToCwd(path.join(rootDir, 'task_1', 'vector_bak'))).toBe('./data_pipeline/training_data/task_1/vector_bak');
      expect(root.relativeToCwd(root.dir)).toBe('./data_pipeline/training_data');
    });

    it('returns "." for the cwd and a ../ path for outside', () => {
      expect(root.relativeToCwd(cwd)).toBe('.');
      expect(root.relativeToCwd(path.dirname(cwd))).toBe('..');
    });
  });

  describe('task ids', () => {
    it('accepts letters, digits and underscores', () => {
      expect(root.assertTaskId('task_20250722_010318')).toBe('task_20250722_010318');
      expect(root.taskDir('abc_1')).toBe(path.join(root.dir, 'abc_1'));
    });

    it.each(['', '../x', 'a-b', 'a b', 'a/b', 'a.b', '任务'])('rejects %j with the parameter named', (id) => {
      const act = () => root.assertTaskId(id, 'tid');
      expect(act).toThrow(ValidationError);
      try {
        act();
      } catch (err) {
        expect((err as ValidationError).invalidParams).toEqual(['tid']);
        expect((err as ValidationError).status).toBe(400);
      }
    });
  });

  describe('realInside / ensureDir (checked at use, on real paths)', () => {
    it('ensureTaskDir creates the directory and returns its real path', async () => {
      expect(await root.ensureTaskDir('task_new')).toBe(path.join(root.dir, 'task_new'));
      expect(fs.statSync(path.join(rootDir, 'task_new')).isDirectory()).toBe(true);
    });

    it('ensureTaskDir and ensureDir refuse a task directory linked outside, creating nothing there', async () => {
      fs.symlinkSync(outside, path.join(rootDir, 'task_link'));
      await expect(root.ensureTaskDir('task_link')).rejects.toMatchObject({ status: 400, invalidParams: ['task_id'] });
      await expect(root.ensureDir(path.join(rootDir, 'task_link', 'vector_bak'))).rejects.toBeInstanceOf(ValidationError);
      expect(fs.readdirSync(outside)).toEqual([]);
    });

    it('ensureDir refuses a dangling symlink out (mkdir would create its target)', async () => {
      fs.symlinkSync(path.join(outside, 'not-yet'), path.join(rootDir, 'vector_bak'));
      await expect(root.ensureDir(path.join(rootDir, 'vector_bak'))).rejects.toBeInstanceOf(ValidationError);
      expect(fs.existsSync(path.join(outside, 'not-yet'))).toBe(false);
    });

    it('realInside: null when missing, the real path inside, 400 through a link out', async () => {
      fs.mkdirSync(path.join(rootDir, 'real'));
      fs.symlinkSync(path.join(rootDir, 'real'), path.join(rootDir, 'alias'));
      fs.symlinkSync(outside, path.join(rootDir, 'out'));
      expect(await root.realInside(path.join(rootDir, 'missing'))).toBeNull();
      expect(await root.realInside(path.join(rootDir, 'alias'))).toBe(path.join(root.dir, 'real'));
      await expect(root.realInside(path.join(rootDir, 'out'), 'backup_path')).rejects.toMatchObject({ invalidParams: ['backup_path'] });
    });

    it('realTaskDir: null for a missing task directory, 400 for one linked outside, the format checked first', async () => {
      expect(await root.realTaskDir('task_missing')).toBeNull();
      fs.symlinkSync(outside, path.join(rootDir, 'task_link'));
      await expect(root.realTaskDir('task_link')).rejects.toMatchObject({ status: 400, invalidParams: ['task_id'] });
      await expect(root.realTaskDir('../etc')).rejects.toBeInstanceOf(ValidationError);
    });

    it('a task id longer than 128 characters is a 400, never a path', () => {
      expect(() => root.taskDir('t'.repeat(4000))).toThrow(ValidationError);
      expect(root.taskDir('t'.repeat(128))).toBe(path.join(root.dir, 't'.repeat(128)));
    });
  });
});
