// Explicit Elasticsearch field mappings from the columns' declared (Connect) types. Dynamic mapping
// types a field by the first value it sees: a float64 column whose first row holds 1 (JSON `1`)
// becomes `long`, and later rows with 0.5 or 1e300 are refused or truncated. The schema says what
// the column is, so its field is mapped before the first document arrives.
//
// Only types whose dynamic mapping can be wrong for later values get an explicit mapping:
//   float32/float64 (and arrays of them, struct fields such as a geometry's x/y)  -> double
//   decimals written as numbers (decimal mode "double")                             -> double
//   dates and timestamps (Date, Timestamp, MicroTimestamp, ZonedTimestamp, ...)     -> date
// A date column's "infinity", BC or five-digit year is no ES date: in a date[] whose first element
// is a date, dynamic mapping maps the column as date and then refuses the document over the next
// element. An existing index that maps such a column otherwise (text, say) is left as it is:
// text holds every one of these strings, so that is no conflict.
// Integers map to long dynamically, which holds every int8..int64; strings, times, bytes and JSON
// columns keep the dynamic mapping they always had. Documents are not changed in any way.
//
// Both are mapped with ignore_malformed. For doubles: a float column's NaN and ±Infinity arrive as the
// strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers), which a strict double field
// would refuse with the whole document. With it, the string stays in _source and the field is
// left unindexed for that document (listed in its _ignored field). ignore_malformed can be set on
// an existing field, so a double or date mapped without it (an older index) is updated.
import type { ColumnType, ColumnTypes } from '../../decoder/types.js';
import type { DecimalMode } from '../../config/tables.js';

export type LeafType = 'double' | 'date';

/** Debezium's logical types of a calendar date or a point in time (not a time of day). */
const DATE_TYPES = new Set([
  'io.debezium.time.Date',
  'org.apache.kafka.connect.data.Date',
  'io.debezium.time.Timestamp',
  'io.debezium.time.MicroTimestamp',
  'io.debezium.time.NanoTimestamp',
  'org.apache.kafka.connect.data.Timestamp',
  'io.debezium.time.ZonedTimestamp',
]);

/** A field the schema wants mapped: its dotted path in the document and the column it is in. */
export interface WantedField {
  readonly column: string;
  /** The document field the column is stored under: the column's name unless the target renames it. */
  readonly field: string;
  /** Dotted path as Elasticsearch expands it ("geo.x"; a column named "a.b" is "a.b" as well). */
  readonly path: string;
  readonly type: LeafType;
}

/** What a type needs explicitly; the path's fields are appended to `out`. */
function collect(
  type: ColumnType,
  where: { readonly column: string; readonly field: string },
  path: string,
  decimal: DecimalMode,
  out: WantedField[],
): void {
  switch (type.value) {
    case 'float':
      out.push({ ...where, path, type: 'double' });
      return;
    case 'decimal':
      if (decimal === 'double') out.push({ ...where, path, type: 'double' });
      return;
    case 'temporal':
      if (type.logical !== null && DATE_TYPES.has(type.logical)) out.push({ ...where, path, type: 'date' });
      return;
    case 'array':
      // Elasticsearch has no array type: an array's field is mapped as its items are.
      if (type.items) collect(type.items, where, path, decimal, out);
      return;
    case 'struct':
      if (type.fields)
        for (const [name, field] of type.fields) collect(field, where, `${path}.${name}`, decimal, out);
      return;
    default:
      // Maps are keyed by data, not by schema; everything else is left to dynamic mapping.
      return;
  }
}

/**
 * The fields of the selected columns that need an explicit mapping, each under the field name the
 * target stores its column as (`fieldOf`, the column's own name by default).
 */
export function wantedFields(
  columns: ColumnTypes,
  decimal: DecimalMode,
  selected: (column: string) => boolean,
  fieldOf: (column: string) => string = (column) => column,
): WantedField[] {
  const out: WantedField[] = [];
  for (const [column, type] of columns) {
    if (!selected(column)) continue;
    const field = fieldOf(column);
    collect(type, { column, field }, field, decimal, out);
  }
  return out;
}

/** Known field types of an index by dotted path ("object" for objects without an explicit type). */
export type KnownMapping = Map<string, string>;

/** How a known double or date that refuses malformed values is recorded: it needs the flag added. */
const strict = (type: string) => `${type} (refuses malformed values)`;
const LEAF_TYPES: ReadonlySet<string> = new Set<LeafType>(['double', 'date']);

interface MappingNode {
  readonly type?: unknown;
  readonly properties?: unknown;
  readonly ignore_malformed?: unknown;
}

function flattenInto(properties: unknown, prefix: string, known: KnownMapping): void {
  if (properties === null || typeof properties !== 'object') return;
  for (const [name, raw] of Object.entries(properties as Record<string, unknown>)) {
    if (raw === null || typeof raw !== 'object') continue;
    const node = raw as MappingNode;
    const path = prefix === '' ? name : `${prefix}.${name}`;
    let type = typeof node.type === 'string' ? node.type : 'object';
    if (LEAF_TYPES.has(type) && node.ignore_malformed !== true) type = strict(type);
    const earlier = known.get(path);
    // An alias over several indices can map one path differently: keep both, so it conflicts.
    known.set(path, earlier === undefined || earlier === type ? type : `${earlier} or ${type}`);
    if (node.properties !== undefined) flattenInto(node.properties, path, known);
  }
}

/** Flattens a GET _mapping response (one entry per concrete index) into paths and types. */
export function knownMapping(response: unknown): KnownMapping {
  const known: KnownMapping = new Map();
  if (response === null || typeof response !== 'object') return known;
  for (const entry of Object.values(response as Record<string, unknown>)) {
    const mappings = (entry as { mappings?: { properties?: unknown } } | null)?.mappings;
    flattenInto(mappings?.properties, '', known);
  }
  return known;
}

export interface Conflict {
  readonly field: WantedField;
  /** The path that is mapped otherwise: the field itself or an enclosing object. */
  readonly path: string;
  readonly existing: string;
}

export interface MappingDiff {
  readonly missing: WantedField[];
  readonly conflicts: Conflict[];
}

const CONTAINERS = new Set(['object', 'nested']);

/** Which wanted fields the index lacks and which it maps incompatibly. */
export function diffMapping(wanted: readonly WantedField[], known: KnownMapping): MappingDiff {
  const missing: WantedField[] = [];
  const conflicts: Conflict[] = [];
  for (const field of wanted) {
    const segments = field.path.split('.');
    let conflict: Conflict | null = null;
    for (let i = 1; i < segments.length && conflict === null; i++) {
      const prefix = segments.slice(0, i).join('.');
      const existing = known.get(prefix);
      if (existing !== undefined && !CONTAINERS.has(existing)) conflict = { field, path: prefix, existing };
    }
    const existing = known.get(field.path);
    const updatable = existing === undefined || existing === strict(field.type);
    // A date column mapped otherwise (say text) still takes every value: left as it is.
    const compatible = existing === field.type || field.type === 'date';
    if (conflict === null && !updatable && !compatible) conflict = { field, path: field.path, existing };
    if (conflict !== null) conflicts.push(conflict);
    else if (updatable) missing.push(field);
  }
  return { missing, conflicts };
}

export interface PropertyMapping {
  type?: string;
  ignore_malformed?: boolean;
  properties?: Record<string, PropertyMapping>;
}

/** The `properties` of a PUT _mapping request that adds these fields (objects nest by path). */
export function mappingProperties(fields: readonly WantedField[]): Record<string, PropertyMapping> {
  const root: Record<string, PropertyMapping> = {};
  for (const field of fields) {
    const segments = field.path.split('.');
    let level = root;
    for (let i = 0; i < segments.length - 1; i++) {
      const name = segments[i]!;
      const node = Object.hasOwn(level, name) ? level[name]! : defineOwn(level, name, {});
      level = node.properties ??= {};
    }
    defineOwn(level, segments[segments.length - 1]!, { type: field.type, ignore_malformed: true });
  }
  return root;
}

/** Sets a key as an own data property even when it is "__proto__" (column names are data). */
function defineOwn(
  target: Record<string, PropertyMapping>,
  key: string,
  value: PropertyMapping,
): PropertyMapping {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

/** Records fields as mapped (with their enclosing objects) after a successful PUT _mapping. */
export function recordMapped(known: KnownMapping, fields: readonly WantedField[]): void {
  for (const field of fields) {
    const segments = field.path.split('.');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('.');
      if (!known.has(prefix)) known.set(prefix, 'object');
    }
    known.set(field.path, field.type);
  }
}
