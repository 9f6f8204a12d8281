import { JsonArrayError, JsonArrayReader, MAX_ELEMENT_BYTES } from './json-array';
import { jsonErrorOffset } from './json-syntax';

const VALID_ARRAYS = [
  '[]',
  ' [ ] ',
  '[1]',
  '[1,2 , 3]',
  '[-0.5e+3, true, false, null, "x"]',
  '[{"type":"message","ts":"1700000000.000100","text":"a \\"quoted\\" [bracket] {brace} \\\\"}]',
  '[{"a":[1,[2,{"b":"]"}]]},{"c":"\\u00e9t\\u00e9 ☃ 日本"}]',
  '[\n    {\n        "nested": {"deep": [[[["x"]]]]}\n    },\n    "tail\\\\"\n]\n',
  '["\\\\", "\\"", "\\\\\\""]',
];

function readInChunks(text: string, chunkSize: number): unknown[] {
  const bytes = Buffer.from(text);
  const reader = new JsonArrayReader();
  const elements: unknown[] = [];
  for (let start = 0; start < bytes.length; start += chunkSize) elements.push(...reader.push(bytes.subarray(start, start + chunkSize)));
  reader.end();
  return elements;
}

function errorOf(read: () => unknown): JsonArrayError {
  try {
    read();
  } catch (error) {
    if (error instanceof JsonArrayError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('JsonArrayReader', () => {
  it.each(VALID_ARRAYS)('gives the elements JSON.parse gives, at every chunk size: %s', (text) => {
    const expected = JSON.parse(text);
    expect(JsonArrayReader.parseWhole(Buffer.from(text))).toEqual(expected);
    for (let chunkSize = 1; chunkSize <= Buffer.byteLength(text); chunkSize++) expect(readInChunks(text, chunkSize)).toEqual(expected);
  });

  it('splits anywhere inside a multi-byte character or an escape', () => {
    const text = JSON.stringify([{ text: 'é☃😀\\"'.repeat(20) }, 'x'.repeat(100), { text: '\u0000\u001f' }]);
    for (const chunkSize of [1, 2, 3, 5, 7, 64]) expect(readInChunks(text, chunkSize)).toEqual(JSON.parse(text));
  });

  it.each([
    ['[{"a":1},{"a":}]', 14],
    ['[{"a":1} {"a":2}]', 9],
    ['[1,]', 3],
    ['[,1]', 1],
    ['[{"text":"secret words', 22],
    ['[{"a":1}]x', 9],
    ['[{"a":tru}]', 9],
    ['[{"a":"\\q"}]', 8],
    ['[{"a":1}', 8],
  ])('names the byte where %s stops being JSON (%i), in one piece or in chunks', (text, offset) => {
    for (const read of [() => JsonArrayReader.parseWhole(Buffer.from(text)), () => readInChunks(text, 3), () => readInChunks(text, 1000)]) {
      const error = errorOf(read);
      expect(error.message).toMatch(/^is not valid JSON/);
      expect(error.message).toMatch(new RegExp(`at byte ${offset}$`));
      expect(error.message).not.toContain('secret');
    }
  });

  it('counts offsets in bytes across chunks', () => {
    const head = `[${JSON.stringify({ text: '日本'.repeat(1000) })},`;
    const error = errorOf(() => readInChunks(`${head}{"a":}]`, 100));
    expect(error.message).toBe(`is not valid JSON at byte ${Buffer.byteLength(head) + 5}`);
  });

  it('refuses a single element larger than it will hold, however it is chunked', () => {
    const reader = new JsonArrayReader();
    reader.push(Buffer.from('[1, "'));
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const error = errorOf(() => {
      for (let pushed = 0; pushed <= MAX_ELEMENT_BYTES / chunk.length; pushed++) reader.push(chunk);
    });
    expect(error.message).toBe('holds an element of more than 64 MiB at byte 4');
  });

  it('refuses a file that is not an array', () => {
    expect(errorOf(() => JsonArrayReader.parseWhole(Buffer.from('{"a":1}'))).message).toBe('is not a JSON array');
    expect(errorOf(() => readInChunks('{"a":1}', 2)).message).toBe('is not a JSON array');
  });
});

describe('jsonErrorOffset', () => {
  it.each(['1', ' "x" ', '{"a":[1,2,{"b":null}],"c":-1.5E-7}', '[[[[]]]]', '"\\ud83d\\ude00"'])('accepts valid JSON: %s', (text) => {
    expect(jsonErrorOffset(Buffer.from(text))).toBeUndefined();
  });

  it.each([
    ['', 0],
    ['{', 1],
    ['{"a" 1}', 5],
    ['{"a":01}', 6],
    ['[1 2]', 3],
    ['"\u0001"', 1],
    ['1.', 2],
    ['-', 1],
    ['1e', 2],
    ['nul', 3],
    ['[1]]', 3],
  ])('places the error in %j at byte %i', (text, offset) => {
    expect(jsonErrorOffset(Buffer.from(text))).toBe(offset);
  });

  it('takes nesting far deeper than a call stack', () => {
    const depth = 1_000_000;
    expect(jsonErrorOffset(Buffer.from('['.repeat(depth) + ']'.repeat(depth)))).toBeUndefined();
    expect(jsonErrorOffset(Buffer.from('['.repeat(depth) + '}'))).toBe(depth);
  });

  it('checks a list of values as found between brackets', () => {
    expect(jsonErrorOffset(Buffer.from('{"a":1}, 2 ,"x"'), true)).toBeUndefined();
    expect(jsonErrorOffset(Buffer.from('{"a":1}, ]'), true)).toBe(9);
  });
});
