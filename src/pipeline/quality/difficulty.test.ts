import { describe, expect, it } from 'vitest';
import { classifyDifficulty, sqlFeatures } from './difficulty.js';
import { dedupePairs, normaliseSql } from './dedupe.js';

describe('classifyDifficulty (SPEC §8 item 6, in its order)', () => {
  it('labels the four tiers', () => {
    expect(classifyDifficulty(`SELECT name FROM t WHERE kind = 'a' AND delete_ts IS NULL;`)).toBe('simple');
    expect(classifyDifficulty('SELECT DISTINCT name FROM t ORDER BY 1')).toBe('simple');
    expect(classifyDifficulty('SELECT COUNT(*) FROM t')).toBe('moderate');
    expect(classifyDifficulty('SELECT kind FROM t GROUP BY kind')).toBe('moderate');
    expect(classifyDifficulty('SELECT name FROM t ORDER BY v DESC LIMIT 10')).toBe('moderate');
    expect(classifyDifficulty('SELECT name FROM t ORDER BY v DESC FETCH FIRST 5 ROWS ONLY')).toBe('moderate');
    expect(classifyDifficulty('SELECT a.n FROM a JOIN b ON b.a_id = a.id')).toBe('complex');
    expect(classifyDifficulty('SELECT n FROM a WHERE v > (SELECT AVG(v) FROM a)')).toBe('complex');
    expect(classifyDifficulty('SELECT n FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.a_id = a.id)')).toBe('complex');
    expect(classifyDifficulty('SELECT a.n FROM a JOIN b ON b.a_id = a.id LEFT JOIN c ON c.id = a.c_id')).toBe('highly_complex');
    expect(classifyDifficulty('WITH x AS (SELECT 1 AS v) SELECT v FROM x')).toBe('highly_complex');
    expect(classifyDifficulty('WITH RECURSIVE x(n) AS (SELECT 1) SELECT n FROM x')).toBe('highly_complex');
    expect(classifyDifficulty('SELECT n, RANK() OVER (ORDER BY v DESC) FROM t')).toBe('highly_complex');
    expect(classifyDifficulty('SELECT n, SUM(v) OVER w FROM t WINDOW w AS (ORDER BY d)')).toBe('highly_complex');
  });

  it('counts comma joins, also after an explicit join', () => {
    expect(sqlFeatures('SELECT a.x, b.y FROM a, b WHERE a.id = b.a_id').joins).toBe(1);
    expect(classifyDifficulty('SELECT a.x, b.y FROM a, b WHERE a.id = b.a_id')).toBe('complex');
    expect(classifyDifficulty('SELECT 1 FROM a, b, c')).toBe('highly_complex');
    expect(classifyDifficulty('SELECT 1 FROM a JOIN b ON a.id = b.a_id, c')).toBe('highly_complex');
    // Commas in the select list, in function calls and in a FROM subquery's own select list are not joins.
    expect(sqlFeatures('SELECT a, b, EXTRACT(YEAR FROM d), COALESCE(x, 0) FROM t WHERE y IN (1, 2)').joins).toBe(0);
    expect(sqlFeatures('SELECT s.a FROM (SELECT a, b FROM t) s ORDER BY s.a, s.b').joins).toBe(0);
  });

  it('reads keywords from tokens: strings, comments and quoted names do not count', () => {
    expect(classifyDifficulty(`SELECT 'a JOIN b, WITH x AS (SELECT 1) OVER ()' AS note FROM t`)).toBe('simple');
    expect(classifyDifficulty(`SELECT "join", "with" FROM t -- JOIN u ON true\n/* , v JOIN w */`)).toBe('simple');
    expect(classifyDifficulty(`SELECT $q$ JOIN x JOIN y $q$ FROM t`)).toBe('simple');
    expect(classifyDifficulty(`SELECT E'it\\'s JOIN' FROM t`)).toBe('simple');
    expect(classifyDifficulty(`SELECT ts AT TIME ZONE 'UTC', t::timestamp with time zone FROM t`)).toBe('simple');
    expect(classifyDifficulty('SELECT "count"(x) FROM t')).toBe('simple');
  });
});

describe('normaliseSql and dedupePairs', () => {
  it('replaces literals, folds case and spaces, keeps names', () => {
    expect(normaliseSql(`select  name FROM T where kind = 'a' AND v > 3 LIMIT 10;`)).toBe(normaliseSql(`SELECT name\nFROM t WHERE kind='b' AND v>7 LIMIT 5`));
    expect(normaliseSql(`SELECT 1 FROM t WHERE k IN ('a', 'b', 'c')`)).toBe(normaliseSql(`SELECT 1 FROM t WHERE k IN ('z')`));
    expect(normaliseSql('SELECT "Name" FROM t')).not.toBe(normaliseSql('SELECT name FROM t'));
    expect(normaliseSql('SELECT "name" FROM "t"')).toBe(normaliseSql('SELECT name FROM t'));
  });

  it('keeps the first pair of each question and template and counts the rest', () => {
    const result = dedupePairs([
      { question: '统计记录总数。', sql: 'SELECT COUNT(*) FROM a' },
      { question: '统计记录总数？', sql: 'SELECT COUNT(*) FROM b' },
      { question: '类别为甲的记录', sql: `SELECT * FROM a WHERE k = '甲'` },
      { question: '类别为乙的记录', sql: `SELECT * FROM a WHERE k = '乙'` },
    ]);
    expect(result.kept.map((p) => p.question)).toEqual(['统计记录总数。', '类别为甲的记录']);
    expect(result).toMatchObject({ duplicateQuestions: 1, duplicateSql: 1 });
  });
});
