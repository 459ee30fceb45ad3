import { isStepName, STEP_NAMES, type StepName } from './task-states.js';

/** Python logging levels in order of severity; CRITICAL only appears in files of the original. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogEntry {
  /** `YYYY-MM-DD HH:MM:SS` (server-local, as written). */
  timestamp: string;
  level: LogLevel;
  logger: string;
  step: StepName | null;
  /** Continuation lines (tracebacks, multi-line messages) are joined with `\n`. */
  message: string;
  /** 1-based physical line where the entry starts. */
  line_number: number;
}

// Python's asctime may carry `,mmm`; the entry keeps whole seconds either way.
const HEAD = String.raw`^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:[,.]\d+)? \[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] `;
/** The original's module-logger format: `[data_pipeline.<Name>] <file>.py:<line> - <message>`. */
const DETAILED_LINE = new RegExp(`${HEAD}\\[([^\\]]+)\\] \\S+:\\d+ - (.*)$`);
/** The task log format (TaskLog and the original's TaskDir logger): `<logger>: <message>`. */
const SIMPLE_LINE = new RegExp(`${HEAD}(\\S(?:.*?\\S)?):(?: (.*))?$`);

/** Class names of the original's module loggers and the step each one belongs to. */
const STEP_OF_LOGGER_CLASS: Record<string, StepName> = {
  SchemaTrainingDataAgent: 'ddl_generation',
  DDLGenerator: 'ddl_generation',
  DDLMDGenerator: 'ddl_generation',
  DocGenerator: 'ddl_generation',
  QuestionSQLGenerationAgent: 'qa_generation',
  SQLValidationAgent: 'sql_validation',
  SQLValidator: 'sql_validation',
  TrainingDataLoader: 'training_load',
};

const LEADING_STEP = /^\[([a-z_]+)\]/;

/**
 * The step an entry belongs to: a leading `[<step>]` in the message (the runner's convention), else
 * a step name inside the logger name, else the step of a known class of the original
 * (`data_pipeline.SQLValidationAgent` → sql_validation). Entries of the workflow itself have none.
 */
export function deriveStep(logger: string, message: string): StepName | null {
  const tagged = LEADING_STEP.exec(message)?.[1];
  if (tagged && isStepName(tagged)) return tagged;
  const inLogger = STEP_NAMES.find((step) => logger.includes(step));
  if (inLogger) return inLogger;
  const className = logger.slice(logger.lastIndexOf('.') + 1);
  return STEP_OF_LOGGER_CLASS[className] ?? null;
}

/** Parses the first line of an entry; null for a continuation line. */
export function parseLogLine(line: string, lineNumber: number): LogEntry | null {
  const detailed = DETAILED_LINE.exec(line);
  const match = detailed ?? SIMPLE_LINE.exec(line);
  if (!match) return null;
  const logger = match[3]!;
  const message = match[4] ?? '';
  return {
    timestamp: match[1]!,
    level: match[2] as LogLevel,
    logger,
    step: deriveStep(logger, message),
    message,
    line_number: lineNumber,
  };
}

/**
 * Turns physical lines into entries, in file order. A line that does not start an entry continues
 * the entry before it (the original attached it to the last entry *kept after filtering*, so
 * tracebacks ended up under unrelated entries); lines before the first entry have no owner and are
 * dropped. Blank lines are kept only inside a message, never at its end.
 */
export class LogLineParser {
  private current: LogEntry | null = null;
  private lineNumber = 0;
  private pendingBlankLines = 0;

  /** Feeds one line; returns the previous entry once it is complete. */
  push(rawLine: string): LogEntry | null {
    this.lineNumber += 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const entry = parseLogLine(line, this.lineNumber);
    if (entry) {
      const done = this.current;
      this.current = entry;
      this.pendingBlankLines = 0;
      return done;
    }
    if (line.trim() === '') {
      this.pendingBlankLines += 1;
    } else if (this.current) {
      this.current.message += '\n'.repeat(this.pendingBlankLines + 1) + line;
      this.pendingBlankLines = 0;
    }
    return null;
  }

  /** Returns the last entry at end of input. */
  end(): LogEntry | null {
    const done = this.current;
    this.current = null;
    return done;
  }
}

/** Entries of a sequence of lines, each yielded once its continuation lines are known. */
export async function* parseLogLines(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<LogEntry> {
  const parser = new LogLineParser();
  for await (const line of lines) {
    const done = parser.push(line);
    if (done) yield done;
  }
  const last = parser.end();
  if (last) yield last;
}
