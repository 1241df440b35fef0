// A batch sent as one simple-protocol query, "BEGIN; ...; COMMIT", with every parameter written as
// a literal: a transaction of many row changes then costs one round trip instead of one per
// statement, which is what lets a few connections sustain thousands of changes per second.
import type { Statement } from './ops.js';

export type EscapeLiteral = (text: string) => string;

/**
 * A parameter as SQL: NULL, a number, TRUE/FALSE, decode(hex) for bytes, ARRAY[...]::text[] for a
 * list (the only arrays the generator sends are text[]), else a quoted string that Postgres types
 * from its context, as it would a text-format parameter.
 */
export function literal(value: unknown, escapeLiteral: EscapeLiteral): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a literal`);
    return value < 0 ? `(${value})` : String(value);
  }
  if (typeof value === 'bigint') return value < 0n ? `(${value})` : String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Buffer.isBuffer(value)) return `decode('${value.toString('hex')}', 'hex')`;
  if (Array.isArray(value)) {
    return value.length === 0
      ? `'{}'::text[]`
      : `ARRAY[${value.map((item) => (item === null ? 'NULL' : escapeLiteral(String(item)))).join(', ')}]::text[]`;
  }
  return escapeLiteral(String(value));
}

/** The statement with $1, $2, ... replaced by their literals (values are never scanned again). */
export function inlineStatement(statement: Statement, escapeLiteral: EscapeLiteral): string {
  return statement.text.replace(/\$(\d+)/g, (_, position: string) => {
    const index = Number(position) - 1;
    if (index >= statement.values.length) throw new Error(`${statement.name}: no value for $${position}`);
    return literal(statement.values[index], escapeLiteral);
  });
}

/** One transaction of statements as a single query text. */
export function inlineTransaction(statements: readonly Statement[], escapeLiteral: EscapeLiteral): string {
  return [
    'BEGIN',
    ...statements.map((statement) => inlineStatement(statement, escapeLiteral)),
    'COMMIT',
  ].join(';\n');
}
