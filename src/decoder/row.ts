// A before/after image to a Row: converted by its compiled schema when the message has one, passed
// through otherwise, and in both cases cleared of unchanged-TOAST placeholders (top-level columns
// only), which are named in `unchanged` when the caller collects them (the after image).
import { type CompiledStruct, nullNotAllowed, undeclaredField } from './connect-schema.js';
import { isJsonObject } from './json.js';
import { countOwnKeys, hasOwn, setOwn } from './own.js';
import { isAnyPlaceholder } from './toast.js';
import type { Row } from './types.js';
import { ValueError, asValueError, expected } from './value-error.js';

function removeColumns(row: Record<string, unknown>, names: readonly string[]): void {
  // Rare (an UPDATE leaving a TOASTed column alone), so deleting in place beats copying every row.
  for (const name of names) delete row[name];
}

/**
 * Converts an image in place with its schema. Throws ValueError with the column path.
 * `unchanged` receives the names of placeholder columns (null: drop them silently).
 */
export function convertRowWithSchema(
  value: unknown,
  struct: CompiledStruct,
  unchanged: string[] | null,
): Row {
  if (!isJsonObject(value)) throw expected('a row (object)', value);
  let placeholders: string[] | null = null;
  const fields = struct.fields;
  let present = 0;
  let i = 0;
  try {
    for (; i < fields.length; i++) {
      const field = fields[i]!;
      if (!hasOwn(value, field.name)) {
        if (!field.optional) throw new ValueError('missing (the column is not optional)');
        setOwn(value, field.name, null);
        present++;
        continue;
      }
      present++;
      const raw = value[field.name];
      if (raw === null) {
        if (!field.optional) throw nullNotAllowed();
        continue;
      }
      if (field.isPlaceholder !== null && field.isPlaceholder(raw)) {
        (placeholders ??= []).push(field.name);
        continue;
      }
      const converted = field.convert(raw);
      if (converted !== raw) setOwn(value, field.name, converted);
    }
  } catch (error) {
    throw asValueError(error).within(fields[i]!.name);
  }
  if (present !== countOwnKeys(value)) throw undeclaredField(value, struct);
  if (placeholders !== null) {
    removeColumns(value, placeholders);
    unchanged?.push(...placeholders);
  }
  return value as Row;
}

/** Without a schema: values stay as parsed (lossless integers), placeholders are still removed. */
export function convertRowWithoutSchema(value: unknown, unchanged: string[] | null): Row {
  if (!isJsonObject(value)) throw expected('a row (object)', value);
  let placeholders: string[] | null = null;
  for (const key in value) {
    if (hasOwn(value, key) && isAnyPlaceholder(value[key])) (placeholders ??= []).push(key);
  }
  if (placeholders !== null) {
    removeColumns(value, placeholders);
    unchanged?.push(...placeholders);
  }
  return value as Row;
}
