// Debezium's placeholder for an unchanged TOASTed column (an UPDATE that did not touch a large
// column: Postgres does not send its value). The placeholder is not data: the column is left out of
// the row and named in unchangedColumns, so a sink keeps what it stored. Debezium spells it in the
// column's own type (PostgreSQL connector, UnchangedToastedPlaceholder), with the default
// unavailable.value.placeholder:
//   text, json, xml, ... -> the string itself; bytea -> its UTF-8 bytes (base64 in JSON, whether
//   the schema says bytes or, with binary.handling.mode=base64, string);
//   text[]/varchar[]/json[] -> [string]; bytea[] -> [bytes]; uuid[] -> [UUID v3 of the bytes];
//   int[]/bigint[]/... -> one element per byte of the placeholder; hstore (map mode) -> {p: p}.
import { isJsonObject } from './json.js';
import { hasOwn, countOwnKeys } from './own.js';

export const TOAST_PLACEHOLDER = '__debezium_unavailable_value';
/** base64 of the placeholder's UTF-8 bytes: how a bytes column carries it. */
export const TOAST_PLACEHOLDER_BASE64 = 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==';
/** java.util.UUID.nameUUIDFromBytes(placeholder bytes): how a uuid[] column carries it. */
export const TOAST_PLACEHOLDER_UUID = 'b68a35a7-17ad-35b3-af2a-ae46edb4545a';
const PLACEHOLDER_CODES: readonly number[] = Array.from(TOAST_PLACEHOLDER, (c) => c.charCodeAt(0));
const PLACEHOLDER_BIG_CODES: readonly bigint[] = PLACEHOLDER_CODES.map(BigInt);

/**
 * A string column: the placeholder itself, or its base64 form, which is what a bytea column sends
 * under binary.handling.mode=base64 (its schema is then a plain string, like text's).
 */
export function isStringOrBase64Placeholder(value: unknown): boolean {
  return value === TOAST_PLACEHOLDER || value === TOAST_PLACEHOLDER_BASE64;
}

export function isBytesPlaceholder(value: unknown): boolean {
  return value === TOAST_PLACEHOLDER_BASE64;
}

export function isArrayPlaceholder(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  if (value.length === 1) {
    const only: unknown = value[0];
    return only === TOAST_PLACEHOLDER || only === TOAST_PLACEHOLDER_BASE64 || only === TOAST_PLACEHOLDER_UUID;
  }
  if (value.length !== PLACEHOLDER_CODES.length) return false;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item !== PLACEHOLDER_CODES[i] && item !== PLACEHOLDER_BIG_CODES[i]) return false;
  }
  return true;
}

export function isMapPlaceholder(value: unknown): boolean {
  return (
    isJsonObject(value) &&
    hasOwn(value, TOAST_PLACEHOLDER) &&
    value[TOAST_PLACEHOLDER] === TOAST_PLACEHOLDER &&
    countOwnKeys(value) === 1
  );
}

/** Without a schema the column type is unknown: any of the forms counts. */
export function isAnyPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return value === TOAST_PLACEHOLDER || value === TOAST_PLACEHOLDER_BASE64;
  if (Array.isArray(value)) return isArrayPlaceholder(value);
  return isMapPlaceholder(value);
}
