/**
 * Where JSON text stops being valid, as a byte offset. Only used once
 * `JSON.parse` has refused a text: its messages quote the text around the
 * error (which may be message content) and give no position for some
 * errors, and an export's error must name the file and the offset only.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** Stands for an array whose brackets are not part of the text (see `values`). */
const OPEN_LIST = 0;
const LITERALS = new Map<number, Buffer>([
  [0x74, Buffer.from('true')],
  [0x66, Buffer.from('false')],
  [0x6e, Buffer.from('null')],
]);
const SIMPLE_ESCAPES = new Set([...'"\\/bfnrt'].map((character) => character.charCodeAt(0)));

export function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isDigit(byte: number): boolean {
  return byte >= ZERO && byte <= NINE;
}

function isHexDigit(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/**
 * The offset of the first byte at which `bytes` is not valid JSON (the
 * length when it ends too early), or undefined if it is valid. With
 * `values`, the text is a comma-separated list of values, as found between
 * an array's brackets. Nesting is kept on an explicit stack, so no depth
 * overflows the call stack.
 */
export function jsonErrorOffset(bytes: Uint8Array, values = false): number | undefined {
  const length = bytes.length;
  const open: number[] = values ? [OPEN_LIST] : [];
  let at = 0;
  const skipWhitespace = () => {
    while (at < length && isJsonWhitespace(bytes[at])) at++;
  };
  const digits = (): boolean => {
    if (!isDigit(bytes[at])) return false;
    while (at < length && isDigit(bytes[at])) at++;
    return true;
  };
  /** Moves past one string; false where it is invalid. */
  const string = (): boolean => {
    at++;
    for (;;) {
      if (at >= length) return false;
      const byte = bytes[at];
      if (byte === QUOTE) {
        at++;
        return true;
      }
      if (byte < 0x20) return false;
      if (byte !== BACKSLASH) {
        at++;
        continue;
      }
      at++;
      if (SIMPLE_ESCAPES.has(bytes[at])) at++;
      else if (bytes[at] === 0x75) {
        at++;
        for (let digit = 0; digit < 4; digit++, at++) if (!isHexDigit(bytes[at])) return false;
      } else return false;
    }
  };
  /** Moves past one scalar (string, number, literal); false where it is invalid. */
  const scalar = (): boolean => {
    const first = bytes[at];
    if (first === QUOTE) return string();
    const literal = LITERALS.get(first);
    if (literal) {
      for (const expected of literal) {
        if (bytes[at] !== expected) return false;
        at++;
      }
      return true;
    }
    if (first === MINUS) at++;
    if (bytes[at] === ZERO) at++;
    else if (!digits()) return false;
    if (bytes[at] === DOT) {
      at++;
      if (!digits()) return false;
    }
    if (bytes[at] === 0x65 || bytes[at] === 0x45) {
      at++;
      if (bytes[at] === PLUS || bytes[at] === MINUS) at++;
      if (!digits()) return false;
    }
    return true;
  };
  /** An object key and its colon; false where they are invalid. */
  const key = (): boolean => {
    skipWhitespace();
    if (bytes[at] !== QUOTE || !string()) return false;
    skipWhitespace();
    if (bytes[at] !== COLON) return false;
    at++;
    return true;
  };

  for (;;) {
    // A value is expected.
    skipWhitespace();
    const byte = bytes[at];
    if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      at++;
      skipWhitespace();
      const close = byte === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT;
      if (bytes[at] === close) at++;
      else {
        open.push(byte);
        if (byte === OPEN_OBJECT && !key()) return at;
        continue;
      }
    } else if (at >= length || !scalar()) return at;

    // A value has ended: a separator, a closing bracket or the end is expected.
    for (;;) {
      skipWhitespace();
      const innermost = open.at(-1);
      if (innermost === undefined || (innermost === OPEN_LIST && at >= length)) return at < length ? at : undefined;
      if (bytes[at] === COMMA) {
        at++;
        if (innermost === OPEN_OBJECT && !key()) return at;
        break;
      }
      if ((innermost === OPEN_ARRAY && bytes[at] === CLOSE_ARRAY) || (innermost === OPEN_OBJECT && bytes[at] === CLOSE_OBJECT)) {
        at++;
        open.pop();
        continue;
      }
      return at;
    }
  }
}
