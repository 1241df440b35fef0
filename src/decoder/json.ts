// Lossless JSON parsing. JSON.parse turns every integer above 2^53 into the nearest double, which
// would silently corrupt int64 columns, LSNs and big integers inside JSON columns.
//
// parseJson is the single place that decides how a text is parsed. The text is always parsed by
// the native JSON.parse; then:
// 1. No number of 2^53 or more in the result: no integer literal could have been rounded, so the
//    result is exact (the common case for keys, rows and JSON columns).
// 2. Otherwise the unsafe integer literals must become exact bigints (every other number stays
//    what JSON.parse gave). Every Debezium 3.x envelope is here: ts_ns has 19 digits.
//    a. Keyed patch: each big number sits under an identifier-like key, so its literal is found
//       by searching the text for that key (patchByKeys). It proves its match by counting: every
//       occurrence of the key with a big number after it, in text order, against the big numbers
//       under that key in the result, in the same order.
//    b. Otherwise one linear scan (strings skipped with indexOf) finds the unsafe literals and
//       their paths (findUnsafeIntegers), and those values are replaced.
//    c. When neither can be proven to hit the right values (duplicate object keys), lossless-json,
//       a character-by-character JS parser 5-10 times slower than JSON.parse, parses the text.
//    All ways give the same result: the tests check them against each other.
// 3. A caller may name big numbers it never reads (UnreadNumbers). When every big number under a
//    key is one of those, that key's search is skipped and its numbers stay as JSON.parse rounded
//    them: the Debezium envelope's ts_ns is never read, and searching for it was most of the cost of
//    parsing an envelope exactly (see decode.ts).
import { parse as losslessParse } from 'lossless-json';

/** A parsed JSON value: like JSON.parse's result, with bigint for integers beyond 2^53. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

function isIntegerText(text: string): boolean {
  let i = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (i >= text.length) return false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The number rule of the lossless path: a safe integer or any non-integer literal becomes a
 * number (exactly what JSON.parse gives), an integer literal beyond 2^53 - 1 becomes a bigint.
 */
export function parseJsonNumber(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n; // exact: a larger integer would round to >= 2^53
  return isIntegerText(text) ? BigInt(text) : n;
}

const LOSSLESS_OPTIONS = {
  parseNumber: parseJsonNumber,
  // JSON.parse keeps the last of duplicate keys; do the same on every path.
  onDuplicateKey: ({ newValue }: { newValue: unknown }) => newValue,
};

/** The reference lossless parser (lossless-json). Slow; the fallback of parseJson. */
export function parseJsonWithLosslessJson(text: string): JsonValue {
  return losslessParse(text, null, LOSSLESS_OPTIONS) as JsonValue;
}

interface Frame {
  readonly array: boolean;
  /** Current key (objects) or index (arrays). */
  key: string;
  index: number;
  /** Keys seen so far, duplicates included; compared with the parsed object's own keys. */
  keys: number;
  expectKey: boolean;
  checked: boolean;
}

interface UnsafeInteger {
  readonly path: readonly (string | number)[];
  readonly frames: readonly Frame[];
  readonly literal: string;
}

/**
 * The integer literals of a valid JSON text that are not safe integers, with their paths, in
 * document order; null when there are none. Linear, iterative (any depth), strings skipped.
 */
export function findUnsafeIntegers(text: string): UnsafeInteger[] | null {
  const stack: Frame[] = [];
  let found: UnsafeInteger[] | null = null;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end < 0) throw new SyntaxError('unterminated string');
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92 /* \ */) backslashes++;
        if ((backslashes & 1) === 0) break;
        end = text.indexOf('"', end + 1);
      }
      const top = stack[stack.length - 1];
      if (top !== undefined && top.expectKey) {
        const raw = text.slice(i + 1, end);
        top.key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        top.keys++;
        top.expectKey = false;
      }
      i = end + 1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      const array = c === 91;
      stack.push({ array, key: '', index: 0, keys: 0, expectKey: !array, checked: false });
      i++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      i++;
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top !== undefined) {
        if (top.array) top.index++;
        else top.expectKey = true;
      }
      i++;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const start = i++;
      let integer = true;
      while (i < length) {
        const d = text.charCodeAt(i);
        if (d >= 48 && d <= 57) i++;
        else if (d === 46 || d === 101 || d === 69 || d === 43 || d === 45) {
          integer = false;
          i++;
        } else break;
      }
      if (integer && i - start >= 16) {
        const literal = text.slice(start, i);
        if (!Number.isSafeInteger(Number(literal))) {
          (found ??= []).push({
            path: stack.map((f) => (f.array ? f.index : f.key)),
            frames: stack.slice(),
            literal,
          });
        }
      }
    } else {
      i++;
    }
  }
  return found;
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

function ownKeyCount(value: object): number {
  let n = 0;
  for (const key in value) if (hasOwnProperty.call(value, key)) n++;
  return n;
}

/**
 * Replaces each unsafe integer in JSON.parse's result by its exact bigint. Returns undefined when
 * a path does not lead to the rounded number it should (duplicate keys): the caller falls back.
 */
function patchUnsafeIntegers(root: JsonValue, found: readonly UnsafeInteger[]): JsonValue | undefined {
  for (const { path, frames, literal } of found) {
    if (path.length === 0)
      return found.length === 1 && root === Number(literal) ? BigInt(literal) : undefined;
    let holder: unknown = root;
    for (let s = 0; s < path.length; s++) {
      const segment = path[s]!;
      const frame = frames[s]!;
      if (frame.array) {
        if (!Array.isArray(holder) || (segment as number) >= holder.length) return undefined;
      } else {
        if (typeof holder !== 'object' || holder === null || Array.isArray(holder)) return undefined;
        if (!frame.checked) {
          if (ownKeyCount(holder) !== frame.keys) return undefined; // duplicate keys
          frame.checked = true;
        }
        if (!hasOwnProperty.call(holder, segment)) return undefined;
      }
      const container = holder as Record<string | number, unknown>;
      if (s === path.length - 1) {
        if (container[segment] !== Number(literal)) return undefined;
        container[segment] = BigInt(literal);
      } else {
        holder = container[segment];
      }
    }
  }
  return root;
}

/** 2^53: every integer literal JSON.parse rounds becomes a number at least this large. */
const BIG = 2 ** 53;

function isBig(n: number): boolean {
  return n >= BIG || n <= -BIG;
}

interface BigNumber {
  readonly holder: JsonObject;
  readonly key: string;
}

/** Keys found by searching the text: the needle '"key"' can then only be that key or that string. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Nesting beyond this is left to the iterative scan rather than risk the call stack. */
const MAX_WALK_DEPTH = 64;

/**
 * Collects the big numbers of a parsed value with their holder and key, in document order. False
 * when the keyed patch cannot be proven right: a big number in an array, at the root or under a
 * key that is not an identifier, or an integer-like key anywhere (V8 enumerates those first, so
 * the order would no longer be the text's).
 */
function collectBigNumbers(value: JsonValue, found: BigNumber[], depth: number): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'number' || !isBig(value);
  if (depth > MAX_WALK_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!collectBigNumbers(item, found, depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57) return false;
    const item = value[key]!;
    if (typeof item === 'number') {
      if (!isBig(item)) continue;
      if (key === '__proto__' || !IDENTIFIER.test(key)) return false;
      found.push({ holder: value, key });
    } else if (!collectBigNumbers(item, found, depth + 1)) {
      return false;
    }
  }
  return true;
}

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

/**
 * The literals of the big numbers that follow the key `key` (an identifier) in a valid JSON text,
 * in text order. An unescaped '"' is a string delimiter; followed by a letter it opens a string, so
 * '"key"' with an unescaped first quote is the string "key", a key when a ':' follows.
 */
export function bigLiteralsAfterKey(text: string, key: string): string[] {
  const needle = `"${key}"`;
  const literals: string[] = [];
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 92 /* \ */) backslashes++;
    if ((backslashes & 1) === 1) continue;
    let i = skipWhitespace(text, at + needle.length);
    if (text.charCodeAt(i) !== 58 /* : */) continue;
    i = skipWhitespace(text, i + 1);
    const start = i;
    while (isNumberChar(text.charCodeAt(i))) i++;
    if (i > start) {
      const literal = text.slice(start, i);
      if (isBig(Number(literal))) literals.push(literal);
    }
  }
  return literals;
}

/**
 * Big numbers the caller promises never to read, by their holding object and key (and the parsed
 * root, to tell where the holder is): they may stay as JSON.parse rounded them.
 */
export type UnreadNumbers = (holder: JsonObject, key: string, root: JsonValue) => boolean;

/** Whether every big number under `key`, from `first` on, is one the caller never reads. */
function allUnread(
  found: readonly BigNumber[],
  first: number,
  key: string,
  root: JsonValue,
  unread: UnreadNumbers,
): boolean {
  for (let i = first; i < found.length; i++) {
    const entry = found[i]!;
    if (entry.key === key && !unread(entry.holder, key, root)) return false;
  }
  return true;
}

/**
 * Replaces the unsafe integers of JSON.parse's result by their exact bigints, each found by its
 * key (see the top of this file). False, with nothing changed, when that cannot be proven right.
 * Every big number in the result came from one occurrence of its key followed by its literal, and
 * with no duplicate keys each occurrence gave one; so when the counts agree, the occurrences in
 * text order are those numbers in the result's order. A duplicate key dropping a big number makes
 * more occurrences than numbers: refused.
 */
function patchByKeys(root: JsonValue, text: string, unread: UnreadNumbers | undefined): boolean {
  const found: BigNumber[] = [];
  if (!collectBigNumbers(root, found, 0)) return false;
  // null: left as it is (a big number that is no integer, or one never read).
  const exact: (bigint | null)[] = new Array(found.length);
  // Each key once (usually there is one: ts_ns), its numbers in document order.
  for (let first = 0; first < found.length; first++) {
    if (exact[first] !== undefined) continue;
    const key = found[first]!.key;
    if (unread !== undefined && allUnread(found, first, key, root, unread)) {
      for (let i = first; i < found.length; i++) if (found[i]!.key === key) exact[i] = null;
      continue;
    }
    const literals = bigLiteralsAfterKey(text, key);
    let n = 0;
    for (let i = first; i < found.length; i++) {
      const entry = found[i]!;
      if (entry.key !== key) continue;
      const literal = literals[n++];
      if (literal === undefined || entry.holder[key] !== Number(literal)) return false;
      exact[i] = isIntegerText(literal) ? BigInt(literal) : null;
    }
    if (n !== literals.length) return false;
  }
  for (let i = 0; i < found.length; i++) {
    const value = exact[i];
    if (value !== null && value !== undefined) found[i]!.holder[found[i]!.key] = value;
  }
  return true;
}

/**
 * Parses any JSON text (any root) losslessly, except for the big numbers `unread` names (which
 * may stay rounded). Throws SyntaxError on invalid JSON.
 */
export function parseJson(text: string, unread?: UnreadNumbers): JsonValue {
  const value = JSON.parse(text) as JsonValue;
  if (patchByKeys(value, text, unread)) return value;
  const found = findUnsafeIntegers(text);
  if (found === null) return value;
  const patched = patchUnsafeIntegers(value, found);
  return patched !== undefined ? patched : parseJsonWithLosslessJson(text);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "string", "array", "null", ... for error messages. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** A short, bounded description of an unexpected value for error messages. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 40
        ? `string ${JSON.stringify(value.slice(0, 40))}...`
        : `string ${JSON.stringify(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `integer ${String(value)}`;
    case 'undefined':
      return 'nothing';
    default:
      return jsonTypeName(value);
  }
}
