import { isJsonWhitespace, jsonErrorOffset } from './json-syntax';

/** Why a file could not be read as a JSON array, and where; never any of the file's content. */
export class JsonArrayError extends Error {
  constructor(problem: string, offset?: number) {
    super(offset === undefined ? problem : `${problem} at byte ${offset}`);
    this.name = 'JsonArrayError';
  }
}

/**
 * The largest single element (a message, a user) read: a real one is a few
 * KiB. Past this an element would be held whole however the file is read.
 */
export const MAX_ELEMENT_BYTES = 64 * 1024 * 1024;

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

const enum Kind {
  Other,
  Quote,
  Open,
  Close,
  /** A comma or whitespace: the end of a scalar. */
  Separator,
}

/** What each byte means to the scanner outside strings: one table load instead of a chain of comparisons. */
const BYTE_KIND = new Uint8Array(256);
BYTE_KIND[QUOTE] = Kind.Quote;
for (const byte of [OPEN_ARRAY, OPEN_OBJECT]) BYTE_KIND[byte] = Kind.Open;
for (const byte of [CLOSE_ARRAY, CLOSE_OBJECT]) BYTE_KIND[byte] = Kind.Close;
for (const byte of [COMMA, 0x20, 0x0a, 0x0d, 0x09]) BYTE_KIND[byte] = Kind.Separator;

const enum Expect {
  OpenArray,
  FirstElement,
  Element,
  InElement,
  SeparatorOrClose,
  Nothing,
}

/**
 * A JSON array that arrives in chunks, parsed an element at a time, so a
 * file of any size never sits in memory whole. A byte scanner finds where
 * the top-level elements end (it follows only strings and bracket depth);
 * the elements completed in a chunk are then parsed together by one
 * `JSON.parse`, which validates them and is far faster than a parser written
 * in JavaScript.
 */
export class JsonArrayReader {
  private expect = Expect.OpenArray;
  /** Bracket depth inside the current element; 0 in a scalar. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The current element's bytes from earlier chunks. */
  private carried: Buffer[] = [];
  private carriedBytes = 0;
  /** File offset of the first byte of the next chunk. */
  private offset = 0;
  /** File offset of the first element not parsed yet. */
  private groupOffset = 0;

  /** The elements of a file read whole, in one parse: the fast way for the small files most exports hold. */
  static parseWhole(content: Buffer): unknown[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content.toString('utf8'));
    } catch {
      throw syntaxError(content, 0, false);
    }
    if (!Array.isArray(parsed)) throw new JsonArrayError('is not a JSON array');
    return parsed;
  }

  /** The elements that end in `chunk`. */
  push(chunk: Buffer): unknown[] {
    const chunkOffset = this.offset;
    this.offset += chunk.length;
    // The elements to parse start in the carried bytes or at groupStart, and end at groupEnd.
    let groupStart = -1;
    let groupEnd = -1;
    let elementStart = -1;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at];
      switch (this.expect) {
        case Expect.InElement: {
          const end = this.elementEnd(chunk, at);
          if (end < 0) at = chunk.length;
          else {
            groupEnd = end;
            this.expect = Expect.SeparatorOrClose;
            // The byte at `end` is not part of the element: it is read next as a separator.
            at = end - 1;
          }
          continue;
        }
        case Expect.SeparatorOrClose:
          if (byte === COMMA) this.expect = Expect.Element;
          else if (byte === CLOSE_ARRAY) this.expect = Expect.Nothing;
          else if (!isJsonWhitespace(byte)) throw new JsonArrayError('is not valid JSON', chunkOffset + at);
          continue;
        case Expect.FirstElement:
        case Expect.Element:
          if (isJsonWhitespace(byte)) continue;
          if (byte === CLOSE_ARRAY && this.expect === Expect.FirstElement) {
            this.expect = Expect.Nothing;
            continue;
          }
          if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT || byte === COMMA || byte === COLON)
            throw new JsonArrayError('is not valid JSON', chunkOffset + at);
          elementStart = at;
          if (groupStart < 0 && this.carried.length === 0) {
            groupStart = at;
            this.groupOffset = chunkOffset + at;
          }
          this.expect = Expect.InElement;
          this.inString = false;
          this.escaped = false;
          this.depth = 0;
          // The element's first byte is scanned as part of it.
          at--;
          continue;
        case Expect.OpenArray:
          if (byte === OPEN_ARRAY) this.expect = Expect.FirstElement;
          else if (!isJsonWhitespace(byte)) throw new JsonArrayError('is not a JSON array');
          continue;
        case Expect.Nothing:
          if (!isJsonWhitespace(byte)) throw new JsonArrayError('is not valid JSON: more follows the array', chunkOffset + at);
      }
    }
    const elements = groupEnd < 0 ? [] : this.parseGroup(chunk.subarray(Math.max(groupStart, 0), groupEnd));
    if (this.expect === Expect.InElement) {
      // The element goes on in the next chunk. The chunk's buffer may be reused, so its bytes are copied.
      const start = Math.max(elementStart, 0);
      if (this.carried.length === 0) this.groupOffset = chunkOffset + start;
      this.carried.push(Buffer.from(chunk.subarray(start)));
      this.carriedBytes += chunk.length - start;
      if (this.carriedBytes > MAX_ELEMENT_BYTES) {
        throw new JsonArrayError(`holds an element of more than ${MAX_ELEMENT_BYTES / 1024 / 1024} MiB`, this.groupOffset);
      }
    }
    return elements;
  }

  /**
   * Where the current element ends in `chunk` (exclusive), scanning from
   * `from`; -1 when it goes on past the chunk. The hot loop of an import:
   * its state lives in locals while it runs.
   */
  private elementEnd(chunk: Buffer, from: number): number {
    let depth = this.depth;
    let inString = this.inString;
    let at = from;
    if (this.escaped) {
      this.escaped = false;
      at++;
    }
    const length = chunk.length;
    let end = -1;
    for (; at < length; at++) {
      const byte = chunk[at];
      if (inString) {
        if (byte === QUOTE) {
          inString = false;
          if (depth === 0) {
            end = at + 1;
            break;
          }
        } else if (byte === BACKSLASH && ++at === length) this.escaped = true;
        continue;
      }
      const kind = BYTE_KIND[byte];
      if (kind === Kind.Other) continue;
      if (kind === Kind.Quote) inString = true;
      else if (kind === Kind.Open) depth++;
      else if (depth === 0) {
        // A scalar ends where a separator or bracket starts.
        end = at;
        break;
      } else if (kind === Kind.Close && --depth === 0) {
        end = at + 1;
        break;
      }
    }
    this.depth = depth;
    this.inString = inString;
    return end;
  }

  /** Checks that the array was complete. */
  end(): void {
    if (this.expect !== Expect.Nothing) throw new JsonArrayError('is not valid JSON: it ends before the array does', this.offset);
  }

  private parseGroup(tail: Buffer): unknown[] {
    const bytes = this.carried.length === 0 ? tail : Buffer.concat([...this.carried, tail]);
    this.carried = [];
    this.carriedBytes = 0;
    try {
      return JSON.parse(`[${bytes.toString('utf8')}]`) as unknown[];
    } catch {
      throw syntaxError(bytes, this.groupOffset, true);
    }
  }
}

function syntaxError(bytes: Buffer, fileOffset: number, values: boolean): JsonArrayError {
  // The check accepts nothing JSON.parse refuses; should they ever disagree, the error is placed where the text starts.
  return new JsonArrayError('is not valid JSON', fileOffset + (jsonErrorOffset(bytes, values) ?? 0));
}
