// Per-table settings, given as one JSON env var (TABLES) keyed by "<schema>.<table>". Validated
// field by field so that a typo names the table and the key instead of being ignored.

export const SINK_NAMES = ['elasticsearch', 'mongodb'] as const;
export type SinkName = (typeof SINK_NAMES)[number];
export type DecimalMode = 'string' | 'double';
export type TruncateMode = 'ignore' | 'delete';

export interface TableOverride {
  readonly sinks?: readonly SinkName[];
  readonly elasticsearchIndex?: string;
  readonly mongodbCollection?: string;
  readonly includeColumns?: readonly string[];
  readonly excludeColumns?: readonly string[];
  readonly decimal?: DecimalMode;
  readonly truncate?: TruncateMode;
}

export type TableOverrides = Readonly<Record<string, TableOverride>>;

const ES_INDEX_FORBIDDEN = /[\\/*?"<>| ,#:A-Z]/;

function stringList(table: string, key: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new Error(`table "${table}": "${key}" must be an array of non-empty strings`);
  }
  return value as string[];
}

function oneOf<T extends string>(table: string, key: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new Error(`table "${table}": "${key}" must be one of ${allowed.join(', ')}`);
  }
  return value as T;
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
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'sinks':
        result.sinks = stringList(table, key, value).map((sink) => oneOf(table, key, sink, SINK_NAMES));
        break;
      case 'elasticsearchIndex': {
        const problem = typeof value === 'string' ? validateIndexName(value) : 'must be a string';
        if (problem) throw new Error(`table "${table}": "${key}" ${problem}`);
        result[key] = value;
        break;
      }
      case 'mongodbCollection': {
        const problem = typeof value === 'string' ? validateCollectionName(value) : 'must be a string';
        if (problem) throw new Error(`table "${table}": "${key}" ${problem}`);
        result[key] = value;
        break;
      }
      case 'includeColumns':
      case 'excludeColumns':
        result[key] = stringList(table, key, value);
        break;
      case 'decimal':
        result[key] = oneOf(table, key, value, ['string', 'double']);
        break;
      case 'truncate':
        result[key] = oneOf(table, key, value, ['ignore', 'delete']);
        break;
      default:
        throw new Error(
          `table "${table}": unknown setting "${key}" (known: sinks, elasticsearchIndex, mongodbCollection, includeColumns, excludeColumns, decimal, truncate)`,
        );
    }
  }
  if (result.includeColumns && result.excludeColumns) {
    throw new Error(`table "${table}": give includeColumns or excludeColumns, not both`);
  }
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
