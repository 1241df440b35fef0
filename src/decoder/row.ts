// A before/after image to a Row: converted by its compiled schema when the message has one, passed
// through otherwise, and in both cases cleared of unchanged-TOAST placeholders (top-level columns
// only), which are named in the caller's list when it collects them (an update's after image).
// Only an update can leave a TOASTed column unread: in an insert or a snapshot read, a value equal
// to the placeholder is the row's own data and is kept.
import { type CompiledStruct, nullNotAllowed, undeclaredField } from './connect-schema.js';
import { isJsonObject } from './json.js';
import { countOwnKeys, hasOwn, setOwn } from './own.js';
import { isAnyPlaceholder } from './toast.js';
import type { Row } from './types.js';
import { ValueError, asValueError, expected } from './value-error.js';

/** What to do with placeholder values: collect their columns, drop them, or keep them as data. */
export type Placeholders = string[] | 'drop' | 'keep';

function removeColumns(row: Record<string, unknown>, names: readonly string[]): void {
  // Rare (an UPDATE leaving a TOASTed column alone), so deleting in place beats copying every row.
  for (const name of names) delete row[name];
}

/** Converts an image in place with its schema. Throws ValueError with the column path. */
export function convertRowWithSchema(value: unknown, struct: CompiledStruct, unchanged: Placeholders): Row {
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
      if (unchanged !== 'keep' && field.isPlaceholder !== null && field.isPlaceholder(raw)) {
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
    if (Array.isArray(unchanged)) unchanged.push(...placeholders);
  }
  return value as Row;
}

/** Without a schema: values stay as parsed (lossless integers), placeholders are still removed. */
export function convertRowWithoutSchema(value: unknown, unchanged: Placeholders): Row {
  if (!isJsonObject(value)) throw expected('a row (object)', value);
  if (unchanged === 'keep') return value as Row;
  let placeholders: string[] | null = null;
  for (const key in value) {
    if (hasOwn(value, key) && isAnyPlaceholder(value[key])) (placeholders ??= []).push(key);
  }
  if (placeholders !== null) {
    removeColumns(value, placeholders);
    if (Array.isArray(unchanged)) unchanged.push(...placeholders);
  }
  return value as Row;
}
