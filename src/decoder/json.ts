// Lossless JSON parsing. JSON.parse turns every integer above 2^53 into the nearest double, which
// would silently corrupt int64 columns, LSNs and big integers inside JSON columns.
//
// parseJson is the single place that decides how a text is parsed:
// 1. No run of 16 digits in the text: no integer literal can exceed 2^53 - 1, so the native
//    JSON.parse is exact (the fast path).
// 2. Otherwise the result must be lossless: integers that are not safe become bigint, every other
//    number stays a number. lossless-json does exactly that, but it is a character-by-character JS
//    parser, 5-10 times slower than JSON.parse, and every Debezium 3.x envelope takes this path
//    (ts_us has 16 digits, ts_ns 19). So the text is still parsed by JSON.parse, one linear scan
//    (strings skipped with indexOf) finds the few unsafe integer literals and their paths, and
//    those values are replaced by exact bigints. When the patch cannot be proven to hit the right
//    value (only with duplicate object keys), lossless-json parses the text instead. Both ways give
//    the same result: the tests check them against each other.
import { parse as losslessParse } from 'lossless-json';

/** A parsed JSON value: like JSON.parse's result, with bigint for integers beyond 2^53. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const SIXTEEN_DIGITS = /[0-9]{16}/;

/** True when the text may hold an integer JSON.parse cannot represent exactly. */
export function needsLosslessParse(text: string): boolean {
  return SIXTEEN_DIGITS.test(text);
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

/** Parses any JSON text (any root) losslessly. Throws SyntaxError on invalid JSON. */
export function parseJson(text: string): JsonValue {
  const value = JSON.parse(text) as JsonValue;
  if (!needsLosslessParse(text)) return value;
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
