// A value that does not fit its schema. Thrown deep inside value conversion, where neither the
// column nor the table is known; the row converter adds the field path on the way out and decode.ts
// turns it into a DecodeError naming the table, so converters stay small and allocation-free.
import { describeValue } from './json.js';

export class ValueError extends Error {
  /** Dotted path below the column, e.g. "doc", "location.srid", "tags[2]"; "" at the value itself. */
  path = '';

  /** Prefixes a struct field name or an array index ("[3]") to the path. */
  within(segment: string): this {
    if (this.path === '') this.path = segment;
    else this.path = this.path.startsWith('[') ? segment + this.path : `${segment}.${this.path}`;
    return this;
  }
}

/** Any error thrown while converting a value, as a ValueError (a bug or a stack overflow included). */
export function asValueError(error: unknown): ValueError {
  if (error instanceof ValueError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ValueError(message, { cause: error });
}

export function expected(what: string, value: unknown): ValueError {
  return new ValueError(`expected ${what}, got ${describeValue(value)}`);
}
