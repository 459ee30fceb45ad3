import { describe, expect, it } from 'vitest';
import { logEntryMatcher, parseLogTime } from './log-entry-matcher.js';
import { PageSelector, TailBuffer, paginate } from './page-selector.js';
import { compareLogSortKeys, sortLogEntries } from './sort-log-entries.js';
import { LogLineParser, deriveStep, parseLogLine, parseLogLines, type LogEntry } from './task-log-parser.js';

async function parseAll(text: string): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const entry of parseLogLines(text.split('\n'))) out.push(entry);
  return out;
}

function entry(patch: Partial<LogEntry>): LogEntry {
  return { timestamp: '2025-07-02 19:04:10', level: 'INFO', logger: 'L', step: null, message: 'm', line_number: 1, ...patch };
}

describe('parseLogLine', () => {
  it('reads the simple format; the logger ends at the first ": "', () => {
    expect(parseLogLine('2025-07-02 19:04:10 [INFO] TaskDir_task_20250702_174000: 任务参数: {"a": 1}', 7)).toEqual({
      timestamp: '2025-07-02 19:04:10',
      level: 'INFO',
      logger: 'TaskDir_task_20250702_174000',
      step: null,
      message: '任务参数: {"a": 1}',
      line_number: 7,
    });
  });

  it('reads the original detailed format: logger is the bracketed name, the source location is dropped', () => {
    const line =
      '2025-07-02 19:05:06 [ERROR] [data_pipeline.SchemaTrainingDataAgent] training_data_agent.py:234 - ❌ 表 public.bss_car_day_count 处理失败，耗时: 55.71秒';
    expect(parseLogLine(line, 3)).toEqual({
      timestamp: '2025-07-02 19:05:06',
      level: 'ERROR',
      logger: 'data_pipeline.SchemaTrainingDataAgent',
      step: 'ddl_generation',
      message: '❌ 表 public.bss_car_day_count 处理失败，耗时: 55.71秒',
      line_number: 3,
    });
  });

  it('accepts CRITICAL, milliseconds and an empty message', () => {
    expect(parseLogLine('2025-07-02 19:04:10,123 [CRITICAL] app: boom', 1)).toMatchObject({
      timestamp: '2025-07-02 19:04:10',
      level: 'CRITICAL',
      message: 'boom',
    });
    expect(parseLogLine('2025-07-02 19:04:10 [INFO] app:', 1)).toMatchObject({ logger: 'app', message: '' });
    expect(parseLogLine('2025-07-02 19:04:10 [INFO] app: ', 1)).toMatchObject({ logger: 'app', message: '' });
  });

  it('returns null for continuation lines and unknown levels', () => {
    expect(parseLogLine('Traceback (most recent call last):', 1)).toBeNull();
    expect(parseLogLine('  File "x.py", line 3, in <module>', 1)).toBeNull();
    expect(parseLogLine('2025-07-02 19:04:10 [TRACE] app: x', 1)).toBeNull();
    expect(parseLogLine('2025-07-02 19:04:10 [INFO] no separator here', 1)).toBeNull();
  });
});

describe('deriveStep', () => {
  it('takes a leading [step] from the message', () => {
    expect(deriveStep('TaskDir_task_1', '[qa_generation] 开始执行步骤: qa_generation')).toBe('qa_generation');
    expect(deriveStep('TaskDir_task_1', '[not_a_step] x')).toBeNull();
    expect(deriveStep('TaskDir_task_1', '开始执行步骤 [sql_validation]')).toBeNull();
  });

  it('takes a step name contained in the logger name', () => {
    expect(deriveStep('TaskDir_task_1.training_load', 'x')).toBe('training_load');
    expect(deriveStep('sql_validation', 'x')).toBe('sql_validation');
  });

  it("maps the original's class names, with or without the data_pipeline. prefix", () => {
    expect(deriveStep('data_pipeline.DDLGenerator', 'x')).toBe('ddl_generation');
    expect(deriveStep('data_pipeline.QuestionSQLGenerationAgent', 'x')).toBe('qa_generation');
    expect(deriveStep('data_pipeline.SQLValidationAgent', 'x')).toBe('sql_validation');
    expect(deriveStep('data_pipeline.TrainingDataLoader', 'x')).toBe('training_load');
    expect(deriveStep('SQLValidator', 'x')).toBe('sql_validation');
    expect(deriveStep('data_pipeline.SchemaWorkflowOrchestrator', 'x')).toBeNull();
  });

  it('prefers the message tag over the logger', () => {
    expect(deriveStep('data_pipeline.TrainingDataLoader', '[ddl_generation] x')).toBe('ddl_generation');
  });
});

describe('continuation lines', () => {
  it('join the entry before them in file order, with their line numbers counted', async () => {
    const entries = await parseAll(
      [
        '2025-07-02 19:04:10 [ERROR] TaskDir_t: [sql_validation] 步骤执行失败: boom',
        'Traceback (most recent call last):',
        '  File "a.py", line 1',
        '2025-07-02 19:04:11 [INFO] TaskDir_t: next',
      ].join('\n'),
    );
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      message: '[sql_validation] 步骤执行失败: boom\nTraceback (most recent call last):\n  File "a.py", line 1',
      step: 'sql_validation',
      line_number: 1,
    });
    expect(entries[1]).toMatchObject({ message: 'next', line_number: 4 });
  });

  it('treat a detailed line whose message has no ": " as an entry, not a continuation (original GET bug)', async () => {
    const entries = await parseAll(
      [
        '2025-07-02 19:04:10 [INFO] TaskDir_t: [ddl_generation] 开始执行DDL/MD生成步骤',
        '2025-07-02 19:04:10 [INFO] [data_pipeline.SchemaWorkflowOrchestrator] schema_workflow.py:167 - ======',
      ].join('\n'),
    );
    expect(entries.map((e) => e.logger)).toEqual(['TaskDir_t', 'data_pipeline.SchemaWorkflowOrchestrator']);
    expect(entries[1]!.message).toBe('======');
  });

  it('keep blank lines inside a message, drop trailing ones, strip \\r, and drop lines before the first entry', async () => {
    const entries = await parseAll(
      ['orphan', '2025-07-02 19:04:10 [INFO] a: one\r', 'two', '', 'three', '', '', '2025-07-02 19:04:11 [INFO] a: x', ''].join('\n'),
    );
    expect(entries.map((e) => e.message)).toEqual(['one\ntwo\n\nthree', 'x']);
    expect(entries.map((e) => e.line_number)).toEqual([2, 8]);
  });

  it('the line parser hands back each entry only once it is complete', () => {
    const parser = new LogLineParser();
    expect(parser.push('2025-07-02 19:04:10 [INFO] a: one')).toBeNull();
    expect(parser.push('more')).toBeNull();
    expect(parser.push('2025-07-02 19:04:11 [INFO] a: two')).toMatchObject({ message: 'one\nmore' });
    expect(parser.end()).toMatchObject({ message: 'two', line_number: 3 });
    expect(parser.end()).toBeNull();
  });
});

describe('parseLogTime', () => {
  it.each([
    ['2025-07-02', Date.UTC(2025, 6, 2), true],
    ['2025-07-02 19:04:10', Date.UTC(2025, 6, 2, 19, 4, 10), false],
    ['2025-07-02T19:04:10', Date.UTC(2025, 6, 2, 19, 4, 10), false],
    ['2025-07-02T19:04:10.5', Date.UTC(2025, 6, 2, 19, 4, 10, 500), false],
    ['2025-07-02T19:04:10.123456', Date.UTC(2025, 6, 2, 19, 4, 10, 123), false],
  ])('%s', (input, ms, dateOnly) => {
    expect(parseLogTime(input)).toEqual({ ms, dateOnly });
  });

  it.each(['2025-02-30', '2025-13-01', '2025-07-02 24:00:00', '2025-07-02 19:04', '02/07/2025', '2025-07-02T19:04:10Z', 'yesterday', ''])(
    'rejects %j',
    (input) => {
      expect(parseLogTime(input)).toBeNull();
    },
  );
});

describe('logEntryMatcher', () => {
  const e = entry({ timestamp: '2025-07-02 19:04:10', level: 'ERROR', logger: 'TaskDir_t', step: 'qa_generation', message: 'SQL验证 Failed' });
  const time = (s: string) => parseLogTime(s)!;

  it('compares times as times: T-separated inputs on the same day work', () => {
    expect(logEntryMatcher({ startTime: time('2025-07-02T19:04:10') })(e)).toBe(true);
    expect(logEntryMatcher({ startTime: time('2025-07-02T19:04:11') })(e)).toBe(false);
    expect(logEntryMatcher({ endTime: time('2025-07-02T19:04:10') })(e)).toBe(true);
    expect(logEntryMatcher({ endTime: time('2025-07-02T19:04:09.999') })(e)).toBe(false);
    expect(logEntryMatcher({ startTime: time('2025-07-02T19:04:10.5') })(e)).toBe(false);
  });

  it('a date-only end_time includes the whole day; a date-only start_time starts at midnight', () => {
    expect(logEntryMatcher({ endTime: time('2025-07-02') })(e)).toBe(true);
    expect(logEntryMatcher({ endTime: time('2025-07-02') })(entry({ timestamp: '2025-07-02 23:59:59' }))).toBe(true);
    expect(logEntryMatcher({ endTime: time('2025-07-02') })(entry({ timestamp: '2025-07-03 00:00:00' }))).toBe(false);
    expect(logEntryMatcher({ endTime: time('2025-07-01') })(e)).toBe(false);
    expect(logEntryMatcher({ startTime: time('2025-07-02') })(entry({ timestamp: '2025-07-02 00:00:00' }))).toBe(true);
    expect(logEntryMatcher({ startTime: time('2025-07-03') })(e)).toBe(false);
  });

  it('level, logger and step match exactly; keyword is a case-insensitive substring; all AND-ed', () => {
    expect(logEntryMatcher({ level: 'ERROR' })(e)).toBe(true);
    expect(logEntryMatcher({ level: 'INFO' })(e)).toBe(false);
    expect(logEntryMatcher({ loggerName: 'TaskDir_t' })(e)).toBe(true);
    expect(logEntryMatcher({ loggerName: 'TaskDir' })(e)).toBe(false);
    expect(logEntryMatcher({ stepName: 'qa_generation' })(e)).toBe(true);
    expect(logEntryMatcher({ stepName: 'qa' })(e)).toBe(false);
    expect(logEntryMatcher({ keyword: 'sql验证 fail' })(e)).toBe(true);
    expect(logEntryMatcher({ keyword: 'nope' })(e)).toBe(false);
    expect(logEntryMatcher({ level: 'ERROR', keyword: 'nope' })(e)).toBe(false);
    expect(logEntryMatcher({})(e)).toBe(true);
  });
});

describe('sorting', () => {
  const entries = [
    entry({ line_number: 1, level: 'WARNING', timestamp: '2025-07-02 10:00:02', logger: 'b', step: 'training_load' }),
    entry({ line_number: 2, level: 'CRITICAL', timestamp: '2025-07-02 10:00:01', logger: 'a', step: null }),
    entry({ line_number: 3, level: 'DEBUG', timestamp: '2025-07-02 10:00:02', logger: 'b', step: 'ddl_generation' }),
    entry({ line_number: 4, level: 'ERROR', timestamp: '2025-07-02 09:59:59', logger: 'B', step: 'qa_generation' }),
    entry({ line_number: 5, level: 'INFO', timestamp: '2025-07-02 10:00:02', logger: 'a', step: 'sql_validation' }),
    entry({ line_number: 6, level: 'WARNING', timestamp: '2025-07-02 10:00:00', logger: 'a', step: null }),
  ];
  const lines = (sorted: LogEntry[]) => sorted.map((e) => e.line_number);

  it('level sorts by severity, not alphabetically; equal levels stay in file order', () => {
    expect(lines(sortLogEntries(entries, 'level', 'asc'))).toEqual([3, 5, 1, 6, 4, 2]);
    expect(sortLogEntries(entries, 'level', 'desc').map((e) => e.level)).toEqual(['CRITICAL', 'ERROR', 'WARNING', 'WARNING', 'INFO', 'DEBUG']);
  });

  it('timestamp asc is stable; desc is its exact reverse', () => {
    expect(lines(sortLogEntries(entries, 'timestamp', 'asc'))).toEqual([4, 6, 2, 1, 3, 5]);
    expect(lines(sortLogEntries(entries, 'timestamp', 'desc'))).toEqual([5, 3, 1, 2, 6, 4]);
  });

  it('logger by code point, step in pipeline order with no-step entries first, line_number', () => {
    expect(lines(sortLogEntries(entries, 'logger', 'asc'))).toEqual([4, 2, 5, 6, 1, 3]);
    expect(lines(sortLogEntries(entries, 'step', 'asc'))).toEqual([2, 6, 3, 4, 5, 1]);
    expect(lines(sortLogEntries(entries, 'line_number', 'desc'))).toEqual([6, 5, 4, 3, 2, 1]);
  });
});

describe('pagination', () => {
  it('computes pages and neighbours', () => {
    expect(paginate(0, 1, 50)).toEqual({ page: 1, page_size: 50, total: 0, total_pages: 0, has_next: false, has_prev: false });
    expect(paginate(100, 2, 50)).toEqual({ page: 2, page_size: 50, total: 100, total_pages: 2, has_next: false, has_prev: true });
    expect(paginate(101, 2, 50)).toMatchObject({ total_pages: 3, has_next: true, has_prev: true });
    expect(paginate(1, 1, 1)).toMatchObject({ total_pages: 1, has_next: false, has_prev: false });
    expect(paginate(5, 9, 2)).toMatchObject({ total_pages: 3, has_next: false, has_prev: true });
  });

  it('PageSelector returns the same page as sorting everything, for any page', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => ({ key: (i * 7919) % 13, line: i + 1 }));
    for (const order of ['asc', 'desc'] as const) {
      const compare = compareLogSortKeys(order);
      const sorted = [...keys].sort(compare);
      for (const [page, size] of [[1, 50], [3, 7], [20, 50], [21, 50], [1, 1000], [2, 1000], [1, 1]] as const) {
        const selector = new PageSelector(compare, (page - 1) * size, size);
        for (const key of keys) selector.push(key);
        expect(selector.page()).toEqual(sorted.slice((page - 1) * size, page * size));
      }
    }
  });

  it('TailBuffer keeps the last items in order', () => {
    const tail = new TailBuffer<number>(3);
    expect(tail.toArray()).toEqual([]);
    for (const n of [1, 2]) tail.push(n);
    expect(tail.toArray()).toEqual([1, 2]);
    for (const n of [3, 4, 5, 6, 7]) tail.push(n);
    expect(tail.toArray()).toEqual([5, 6, 7]);
  });
});
