import { describe, expect, it } from 'vitest';
import { splitStatements } from './sql-statements.js';

describe('splitStatements', () => {
  it('splits top-level statements and drops comment-only ones', () => {
    expect(splitStatements('SELECT 1; SELECT 2;\n-- done\n')).toEqual(['SELECT 1', 'SELECT 2']);
    expect(splitStatements("SELECT ';' AS a, \"x;y\" FROM t")).toEqual(["SELECT ';' AS a, \"x;y\" FROM t"]);
  });

  it('keeps a dollar-quoted body whose tag has digits in one statement', () => {
    const body = 'CREATE FUNCTION f() RETURNS int AS $a1$ BEGIN RETURN 1; END; $a1$ LANGUAGE plpgsql';
    expect(splitStatements(`${body}; SELECT 2`)).toEqual([body, 'SELECT 2']);
    expect(splitStatements('SELECT $tag_2$;$tag_2$')).toHaveLength(1);
    expect(splitStatements('SELECT $函数1$;$函数1$')).toHaveLength(1);
  });

  it('does not take a $n parameter or a $ inside an identifier for a dollar quote', () => {
    expect(splitStatements('SELECT $1; SELECT $2')).toEqual(['SELECT $1', 'SELECT $2']);
    // price$a$ is one identifier: the `;` after it ends the statement.
    expect(splitStatements('SELECT price$a$ FROM t; SELECT $a$;$a$')).toEqual(['SELECT price$a$ FROM t', 'SELECT $a$;$a$']);
  });

  it('honours backslash escapes in E strings only', () => {
    expect(splitStatements("SELECT E'it\\'s; still one'")).toHaveLength(1);
    expect(splitStatements("SELECT 'a\\'; SELECT 2")).toEqual(["SELECT 'a\\'", 'SELECT 2']);
  });

  it('nests block comments as PostgreSQL does', () => {
    expect(splitStatements('SELECT 1 /* outer /* inner */ still; comment */; SELECT 2')).toEqual([
      'SELECT 1 /* outer /* inner */ still; comment */',
      'SELECT 2',
    ]);
  });
});
