// Per-table settings, given as one JSON env var (TABLES) keyed by "<schema>.<table>". Validated
// field by field so that a typo names the table and the key instead of being ignored.
import { OWNED_FIELDS } from '../sinks/owned-fields.js';

export const SINK_NAMES = ['elasticsearch', 'mongodb'] as const;
export type SinkName = (typeof SINK_NAMES)[number];
export type DecimalMode = 'string' | 'double';
export type TruncateMode = 'ignore' | 'delete';

/** Column name -> the field name it gets in the document. */
export type Renames = Readonly<Record<string, string>>;

/** One index or collection a table is written to, with its own column selection and renames. */
export interface TargetSetting {
  readonly sink: SinkName;
  /** The index (elasticsearch) or collection (mongodb); the sink's default name when unset. */
  readonly index?: string;
  readonly collection?: string;
  readonly includeColumns?: readonly string[];
  readonly excludeColumns?: readonly string[];
  readonly rename?: Renames;
}

export interface TableOverride {
  readonly sinks?: readonly SinkName[];
  readonly elasticsearchIndex?: string;
  readonly mongodbCollection?: string;
  readonly includeColumns?: readonly string[];
  readonly excludeColumns?: readonly string[];
  /** For the shorthand targets (one per sink): the same renames in each. */
  readonly rename?: Renames;
  /** Several targets, each on its own; replaces the shorthand keys above. */
  readonly targets?: readonly TargetSetting[];
  readonly decimal?: DecimalMode;
  readonly truncate?: TruncateMode;
}

export type TableOverrides = Readonly<Record<string, TableOverride>>;

const ES_INDEX_FORBIDDEN = /[\\/*?"<>| ,#:A-Z]/;

/** Where a setting sits, for messages: `table "public.a"` or `table "public.a": targets[1]`. */
type Where = string;

function stringList(where: Where, key: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new Error(`${where}: "${key}" must be an array of non-empty strings`);
  }
  return value as string[];
}

function oneOf<T extends string>(where: Where, key: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new Error(`${where}: "${key}" must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function indexName(where: Where, key: string, value: unknown): string {
  const problem = typeof value === 'string' ? validateIndexName(value) : 'must be a string';
  if (problem) throw new Error(`${where}: "${key}" ${problem}`);
  return value as string;
}

function collectionName(where: Where, key: string, value: unknown): string {
  const problem = typeof value === 'string' ? validateCollectionName(value) : 'must be a string';
  if (problem) throw new Error(`${where}: "${key}" ${problem}`);
  return value as string;
}

/**
 * A field name a rename may give. Names with "." or a leading "$" are stored escaped by MongoDB's
 * sink and read as an object path by Elasticsearch: a rename would not give the name asked for.
 */
function fieldNameProblem(name: string): string | null {
  if (name.trim() === '') return 'must not be empty';
  if (name.includes('.')) return `"${name}" must not contain "."`;
  if (name.startsWith('$')) return `"${name}" must not start with "$"`;
  return null;
}

function parseRenames(where: Where, value: unknown, sinks: readonly SinkName[]): Renames {
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Object.values(value).some((name) => typeof name !== 'string')
  ) {
    throw new Error(`${where}: "rename" must be an object of column -> field name strings`);
  }
  const renames: Record<string, string> = {};
  const byField = new Map<string, string>();
  for (const [column, field] of Object.entries(value as Record<string, string>)) {
    const problem = fieldNameProblem(field);
    if (problem) throw new Error(`${where}: "rename": column "${column}": the new name ${problem}`);
    for (const sink of sinks) {
      if (OWNED_FIELDS[sink].includes(field))
        throw new Error(
          `${where}: "rename": column "${column}": "${field}" is a field the ${sink} sink owns; choose another name`,
        );
    }
    const other = byField.get(field);
    if (other !== undefined)
      throw new Error(`${where}: "rename" gives columns "${other}" and "${column}" the same name "${field}"`);
    byField.set(field, column);
    Object.defineProperty(renames, column, { value: field, enumerable: true });
  }
  return renames;
}

interface Selection {
  readonly includeColumns?: readonly string[];
  readonly excludeColumns?: readonly string[];
  readonly rename?: Renames;
}

/** Column lists and renames that contradict each other. */
function checkSelection(where: Where, selection: Selection): void {
  const { includeColumns, excludeColumns, rename } = selection;
  if (includeColumns && excludeColumns) {
    throw new Error(`${where}: give includeColumns or excludeColumns, not both`);
  }
  for (const column of Object.keys(rename ?? {})) {
    if (includeColumns && !includeColumns.includes(column))
      throw new Error(`${where}: "rename" renames column "${column}", which "includeColumns" leaves out`);
    if (excludeColumns?.includes(column))
      throw new Error(`${where}: "rename" renames column "${column}", which "excludeColumns" leaves out`);
  }
}

const TARGET_KEYS = ['sink', 'index', 'collection', 'includeColumns', 'excludeColumns', 'rename'];

function parseTarget(table: string, position: number, raw: unknown): TargetSetting {
  const where = `table "${table}": targets[${position}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${where}: must be a JSON object`);
  }
  const entries = raw as Record<string, unknown>;
  const sink = oneOf(where, 'sink', entries.sink, SINK_NAMES);
  const result: Record<string, unknown> = { sink };
  for (const [key, value] of Object.entries(entries)) {
    switch (key) {
      case 'sink':
        break;
      case 'index':
        if (sink !== 'elasticsearch')
          throw new Error(
            `${where}: "index" is for elasticsearch targets; a mongodb target names its "collection"`,
          );
        result[key] = indexName(where, key, value);
        break;
      case 'collection':
        if (sink !== 'mongodb')
          throw new Error(
            `${where}: "collection" is for mongodb targets; an elasticsearch target names its "index"`,
          );
        result[key] = collectionName(where, key, value);
        break;
      case 'includeColumns':
      case 'excludeColumns':
        result[key] = stringList(where, key, value);
        break;
      case 'rename':
        result[key] = parseRenames(where, value, [sink]);
        break;
      default:
        throw new Error(`${where}: unknown setting "${key}" (known: ${TARGET_KEYS.join(', ')})`);
    }
  }
  checkSelection(where, result);
  return result as unknown as TargetSetting;
}

const SHORTHAND_KEYS = [
  'sinks',
  'elasticsearchIndex',
  'mongodbCollection',
  'includeColumns',
  'excludeColumns',
  'rename',
];

function parseTargets(table: string, value: unknown): TargetSetting[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`table "${table}": "targets" must be a non-empty array of target objects`);
  }
  const targets = value.map((raw, position) => parseTarget(table, position, raw));
  const seen = new Map<string, number>();
  targets.forEach((target, position) => {
    const name = target.index ?? target.collection;
    // Unnamed targets get the sink's default name: two of one sink are the same target too.
    const key = `${target.sink}\u0000${name ?? ''}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      const what = target.sink === 'elasticsearch' ? 'index' : 'collection';
      throw new Error(
        `table "${table}": targets[${earlier}] and targets[${position}] both write ${target.sink} ${what} ${name === undefined ? '(the default name)' : `"${name}"`}; give each target its own`,
      );
    }
    seen.set(key, position);
  });
  return targets;
}

export function validateIndexName(name: string): string | null {
  if (name === '' || name === '.' || name === '..') return 'must not be empty, "." or ".."';
  if (/^[-_+]/.test(name)) return 'must not start with -, _ or +';
  if (ES_INDEX_FORBIDDEN.test(name)) return 'must be lowercase without \\ / * ? " < > | space , # :';
  if (Buffer.byteLength(name) > 255) return 'must be at most 255 bytes';
  return null;
}

export function validateCollectionName(name: string): string | null {
  if (name === '') return 'must not be empty';
  if (name.includes('$') || name.includes('\0')) return 'must not contain $ or a NUL character';
  if (name.startsWith('system.')) return 'must not start with "system."';
  return null;
}

function parseOverride(table: string, raw: unknown): TableOverride {
  if (!/^[^.]+\.[^.]+$/.test(table)) {
    throw new Error(`key "${table}" must be "<schema>.<table>"`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`table "${table}": settings must be a JSON object`);
  }
  const where = `table "${table}"`;
  const entries = raw as Record<string, unknown>;
  if ('targets' in entries) {
    const shorthand = SHORTHAND_KEYS.find((key) => key in entries);
    if (shorthand)
      throw new Error(
        `${where}: "targets" replaces ${SHORTHAND_KEYS.slice(0, -1).join(', ')} and rename: give "targets" or those, not both (found "${shorthand}")`,
      );
  }
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) {
    switch (key) {
      case 'sinks':
        result.sinks = stringList(where, key, value).map((sink) => oneOf(where, key, sink, SINK_NAMES));
        break;
      case 'elasticsearchIndex':
        result[key] = indexName(where, key, value);
        break;
      case 'mongodbCollection':
        result[key] = collectionName(where, key, value);
        break;
      case 'includeColumns':
      case 'excludeColumns':
        result[key] = stringList(where, key, value);
        break;
      case 'rename':
        break;
      case 'targets':
        result[key] = parseTargets(table, value);
        break;
      case 'decimal':
        result[key] = oneOf(where, key, value, ['string', 'double']);
        break;
      case 'truncate':
        result[key] = oneOf(where, key, value, ['ignore', 'delete']);
        break;
      default:
        throw new Error(
          `${where}: unknown setting "${key}" (known: ${SHORTHAND_KEYS.join(', ')}, targets, decimal, truncate)`,
        );
    }
  }
  // Parsed last: which sink-owned names it must avoid depends on "sinks" (without it, both).
  if ('rename' in entries)
    result.rename = parseRenames(
      where,
      entries.rename,
      (result.sinks as SinkName[] | undefined) ?? SINK_NAMES,
    );
  checkSelection(where, result);
  return result as TableOverride;
}

export function parseTableOverrides(value: unknown): TableOverrides {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = value.trim() === '' ? {} : JSON.parse(value);
    } catch (error) {
      throw new Error(`must be JSON: ${(error as Error).message}`);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('must be a JSON object keyed by "<schema>.<table>"');
  }
  const overrides: Record<string, TableOverride> = {};
  for (const [table, raw] of Object.entries(parsed)) overrides[table] = parseOverride(table, raw);
  return overrides;
}
