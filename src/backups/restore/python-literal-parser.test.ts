import { describe, expect, it } from 'vitest';
import { isValidJson, pythonLiteralToJson, PythonLiteralError, toJsonText } from './python-literal-parser.js';

describe('pythonLiteralToJson', () => {
  it('converts the cmetadata shapes written by the original service', () => {
    expect(pythonLiteralToJson("{'id': '90998d6c-3206-49d0-a590-50bca62f5efe-ddl'}")).toBe(
      '{"id":"90998d6c-3206-49d0-a590-50bca62f5efe-ddl"}',
    );
    expect(pythonLiteralToJson("{'id': 'x-sql', 'createdat': None}")).toBe('{"id":"x-sql","createdat":null}');
  });

  it('maps None/True/False to null/true/false and keeps words that only start with them as errors', () => {
    expect(pythonLiteralToJson('[None, True, False]')).toBe('[null,true,false]');
    expect(() => pythonLiteralToJson('Nonesuch')).toThrow(PythonLiteralError);
    expect(() => pythonLiteralToJson('true')).toThrow(PythonLiteralError);
  });

  it('converts nested dicts, lists and tuples (tuples become arrays)', () => {
    expect(pythonLiteralToJson("{'a': [1, (2, 3), []], 'b': {'c': ()}, 'd': (4,)}")).toBe(
      '{"a":[1,[2,3],[]],"b":{"c":[]},"d":[4]}',
    );
    expect(pythonLiteralToJson('{}')).toBe('{}');
  });

  it('accepts trailing commas like Python does', () => {
    expect(pythonLiteralToJson("{'a': 1, }")).toBe('{"a":1}');
    expect(pythonLiteralToJson('[1, 2,]')).toBe('[1,2]');
  });

  it('reads single- and double-quoted strings, each containing the other quote', () => {
    expect(pythonLiteralToJson(`["it's", 'say "hi"']`)).toBe(JSON.stringify(["it's", 'say "hi"']));
  });

  it('decodes Python escapes', () => {
    const cases: [string, string][] = [
      ["'it\\'s'", "it's"],
      ["'a\\\\b'", 'a\\b'],
      ["'l1\\nl2\\tx\\r'", 'l1\nl2\tx\r'],
      ["'\\x41\\x7a'", 'Az'],
      ["'\\u4e2d\\u6587'", '中文'],
      ["'\\U0001F600'", '😀'],
      ["'\\101\\0\\1234'", 'A\u0000S4'],
      ["'keep \\q'", 'keep \\q'],
      ["'line\\\ncont'", 'linecont'],
    ];
    for (const [literal, expected] of cases) {
      expect(JSON.parse(pythonLiteralToJson(literal)), literal).toBe(expected);
    }
  });

  it('rejects malformed hex escapes', () => {
    expect(() => pythonLiteralToJson("'\\x4'")).toThrow(PythonLiteralError);
    expect(() => pythonLiteralToJson("'\\u12g4'")).toThrow(/bad hex escape/);
  });

  it('keeps raw strings unescaped', () => {
    expect(JSON.parse(pythonLiteralToJson("r'C:\\new'"))).toBe('C:\\new');
    expect(JSON.parse(pythonLiteralToJson("u'\\n'"))).toBe('\n');
  });

  it('keeps Chinese text as is', () => {
    const json = pythonLiteralToJson("{'question': '查询所有服务区的名称', 'type': 'sql'}");
    expect(JSON.parse(json)).toEqual({ question: '查询所有服务区的名称', type: 'sql' });
  });

  it('converts ints, floats, negatives, exponents and underscores', () => {
    const json = pythonLiteralToJson('[0, 42, -7, +3, 1.5, -0.25, .5, 2., 1e3, -1.5E-2, 1_000, 1e-05]');
    // Tokens already valid in JSON are kept as written (like json.dumps of Python's repr); others normalised.
    expect(json).toBe('[0,42,-7,3,1.5,-0.25,0.5,2,1e3,-1.5E-2,1000,1e-05]');
    expect(JSON.parse(json)).toEqual([0, 42, -7, 3, 1.5, -0.25, 0.5, 2, 1000, -0.015, 1000, 0.00001]);
  });

  it('rejects numbers that are not numbers or overflow', () => {
    expect(() => pythonLiteralToJson('-')).toThrow(/bad number/);
    expect(() => pythonLiteralToJson('1e999')).toThrow(PythonLiteralError);
  });

  it('stringifies non-string keys the way json.dumps does', () => {
    expect(pythonLiteralToJson("{1: 'a', 2.5: 'b', None: 'c', True: 'd', False: 'e'}")).toBe(
      '{"1":"a","2.5":"b","null":"c","true":"d","false":"e"}',
    );
  });

  it('concatenates adjacent string literals', () => {
    expect(pythonLiteralToJson(`{'a': 'x' "y"   'z', 'b': 'p''q'}`)).toBe('{"a":"xyz","b":"pq"}');
  });

  it('reads triple-quoted strings with embedded quotes and newlines', () => {
    expect(JSON.parse(pythonLiteralToJson("'''a 'b'\nc'''"))).toBe("a 'b'\nc");
  });

  it('ignores whitespace between tokens, including newlines and tabs', () => {
    expect(pythonLiteralToJson(" \n{ 'a' :\t[ 1 ,\n 2 ] ,  'b' : None }\r\n ")).toBe('{"a":[1,2],"b":null}');
  });

  it.each([
    ["'abc", /unterminated string/],
    ["{'a': 'b}", /unterminated string/],
    ['datetime.datetime(2024, 1, 1, 0, 0)', /unsupported Python literal at position 0/],
    ["{'t': datetime.datetime(2024, 1, 1)}", /unsupported Python literal/],
    ["{'a': 1} x", /unexpected trailing characters at position 9/],
    ["{'a': 1}}", /unexpected trailing characters/],
    ["{'a' 1}", /expected ':'/],
    ["{'a': 1 'b': 2}", /expected ',' or '}'/],
    ['[1 2]', /expected ',' or '\]'/],
    ['{1, 2}', /expected ':'/],
    ['', /unsupported Python literal/],
  ])('throws PythonLiteralError for %j', (text, message) => {
    expect(() => pythonLiteralToJson(text)).toThrow(PythonLiteralError);
    expect(() => pythonLiteralToJson(text)).toThrow(message);
  });

  // Regression (fixed): vector-restore.ts isCsvError() recognises this error by `e.name === 'PythonLiteralError'`,
  // but the class never sets `name`, so it is 'Error' and an unparsable cmetadata becomes a 500, not a 422.
  it('names its error class so callers can recognise it by name', () => {
    expect(new PythonLiteralError('x').name).toBe('PythonLiteralError');
  });

  // Regression (fixed): an out-of-range \U escape escapes as a RangeError from String.fromCodePoint (Python rejects it
  // as a literal error), so it bypasses every `PythonLiteralError` check.
  it('reports an out-of-range \\U escape as a PythonLiteralError', () => {
    expect(() => pythonLiteralToJson("'\\U00110000'")).toThrow(PythonLiteralError);
  });

  // Regression (fixed): keys are assigned on a plain `{}`, so a '__proto__' key sets the prototype and is lost
  // (json.dumps gives {"__proto__": {"x": 1}}; this returns {}).
  it("keeps a '__proto__' key", () => {
    expect(pythonLiteralToJson("{'__proto__': {'x': 1}}")).toBe('{"__proto__":{"x":1}}');
  });

  // Regression (fixed): ints go through a JS double, so large Python ints lose digits (json.dumps keeps them exact).
  it('keeps integers above 2^53 exact', () => {
    expect(pythonLiteralToJson("{'n': 12345678901234567890}")).toBe('{"n":12345678901234567890}');
  });
});

describe('isValidJson', () => {
  it('accepts JSON text and rejects Python literals', () => {
    expect(isValidJson('{"id":"a","n":null}')).toBe(true);
    expect(isValidJson('null')).toBe(true);
    expect(isValidJson("{'id': 'a'}")).toBe(false);
    expect(isValidJson('{"a": None}')).toBe(false);
    expect(isValidJson('')).toBe(false);
  });
});

describe('toJsonText', () => {
  it('returns valid JSON text byte-for-byte unchanged', () => {
    for (const text of ['{ "id" : "x-ddl",\n  "n": 1.50 }', '{"a":"\\u4e2d"}', '[1, 2]', '  {"z":1,"a":2}  ']) {
      expect(toJsonText(text)).toBe(text);
    }
  });

  it('converts Python literals to JSON', () => {
    expect(toJsonText("{'id': 'x-sql', 'createdat': None}")).toBe('{"id":"x-sql","createdat":null}');
  });

  it('throws PythonLiteralError for text that is neither', () => {
    expect(() => toJsonText('{"a": 1')).toThrow(PythonLiteralError);
  });
});
