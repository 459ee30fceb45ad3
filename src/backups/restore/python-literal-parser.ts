/**
 * Converts a Python literal (what `str(dict)` wrote into the original service's CSV backups:
 * `{'id': 'x-ddl', 'createdat': None}`) into JSON text, as `json.dumps` would: key order kept,
 * integers kept digit for digit. Only literals: dicts, lists, tuples, strings (with Python
 * escapes), numbers, True/False/None. Anything else throws PythonLiteralError.
 *
 * The parser emits JSON text directly instead of building JS values, so nothing passes through a
 * double (big integers) or a plain object (`__proto__` keys, integer-like keys reordered).
 */
export class PythonLiteralError extends Error {
  override readonly name = 'PythonLiteralError';
}

/** JSON's number grammar: Python's int and float reprs already match it, except inf/nan. */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): string {
    const value = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected trailing characters');
    return value;
  }

  private fail(reason: string): never {
    throw new PythonLiteralError(`${reason} at position ${this.pos}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos += 1;
  }

  private value(): string {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '{') return this.dict();
    if (ch === '[') return this.sequence('[', ']');
    if (ch === '(') return this.sequence('(', ')');
    if (ch === "'" || ch === '"') return JSON.stringify(this.strings());
    if (ch !== undefined && /[rRuU]/.test(ch) && /['"]/.test(this.text[this.pos + 1] ?? '')) return JSON.stringify(this.strings());
    if (ch !== undefined && /[-+\d.]/.test(ch)) return this.number();
    for (const [word, result] of [['True', 'true'], ['False', 'false'], ['None', 'null']] as const) {
      if (this.text.startsWith(word, this.pos) && !/\w/.test(this.text[this.pos + word.length] ?? '')) {
        this.pos += word.length;
        return result;
      }
    }
    return this.fail('unsupported Python literal');
  }

  private dict(): string {
    this.pos += 1;
    const out: string[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos += 1;
        return `{${out.join(',')}}`;
      }
      const key = this.value();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos += 1;
      // json.dumps turns non-string keys into strings: 1 → "1", True → "true", None → "null".
      out.push(`${key.startsWith('"') ? key : JSON.stringify(key)}:${this.value()}`);
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos += 1;
      else if (this.text[this.pos] !== '}') this.fail("expected ',' or '}'");
    }
  }

  private sequence(open: string, close: string): string {
    this.pos += open.length;
    const out: string[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos += 1;
        return `[${out.join(',')}]`;
      }
      out.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos += 1;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  /** Adjacent literals concatenate in Python ('a' 'b'). */
  private strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      const ch = this.text[this.pos];
      if (ch === "'" || ch === '"') out += this.string();
      else {
        this.pos = save;
        return out;
      }
    }
  }

  private string(): string {
    let raw = false;
    while (/[rRuU]/.test(this.text[this.pos] ?? '')) {
      if (/[rR]/.test(this.text[this.pos]!)) raw = true;
      this.pos += 1;
    }
    const quote = this.text[this.pos]!;
    const triple = this.text.startsWith(quote.repeat(3), this.pos);
    const terminator = triple ? quote.repeat(3) : quote;
    this.pos += terminator.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('unterminated string');
      if (this.text.startsWith(terminator, this.pos)) {
        this.pos += terminator.length;
        return out;
      }
      const ch = this.text[this.pos]!;
      if (ch === '\\' && !raw) {
        out += this.escape();
      } else {
        out += ch;
        this.pos += 1;
      }
    }
  }

  private escape(): string {
    const next = this.text[this.pos + 1];
    this.pos += 2;
    const simple: Record<string, string> = {
      n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '',
    };
    if (next !== undefined && next in simple) return simple[next]!;
    const hexLength = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (hexLength > 0) {
      const hex = this.text.slice(this.pos, this.pos + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) this.fail('bad hex escape');
      this.pos += hexLength;
      const codePoint = parseInt(hex, 16);
      if (codePoint > 0x10ffff) this.fail('escape outside the Unicode range');
      return String.fromCodePoint(codePoint);
    }
    if (next !== undefined && /[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(this.text.slice(this.pos - 1))![0];
      this.pos += octal.length - 1;
      return String.fromCodePoint(parseInt(octal, 8));
    }
    // Unknown escapes are kept verbatim by Python.
    return `\\${next ?? ''}`;
  }

  private number(): string {
    const match = /^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?/.exec(this.text.slice(this.pos));
    const token = (match?.[0] ?? '').replace(/_/g, '');
    const value = Number(token);
    if (!token || !Number.isFinite(value)) this.fail('bad number');
    this.pos += match![0].length;
    return JSON_NUMBER.test(token) ? token : JSON.stringify(value);
  }
}

export function pythonLiteralToJson(text: string): string {
  return new LiteralParser(text).parse();
}

export function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON text for a JSON column value: kept when already JSON, converted when a Python literal. */
export function toJsonText(value: string): string {
  return isValidJson(value) ? value : pythonLiteralToJson(value);
}
