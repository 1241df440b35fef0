// The Connect types Debezium declares for a table's columns, derived from the catalog, for change
// events that do not come from Debezium (resync). A sink that maps fields by declared type (the
// Elasticsearch sink maps floats as double) must see the same types from a resync as from the
// stream: otherwise the first document a resync writes into a new index decides the field's type
// dynamically, and a float column whose first value is 1 becomes a long.
//
// Only the types such a mapping reads are derived: floats, decimals, dates and timestamps, and arrays
// of them. Other columns are left out, which a mapping reads as "nothing to declare". Nullability
// is not read.
import type { ColumnType, ColumnTypes } from '../decoder/types.js';
import type { ColumnInfo, TableInfo } from './catalog.js';

const FLOAT32: ColumnType = { type: 'float32', logical: null, optional: true, value: 'float' };
const FLOAT64: ColumnType = { type: 'float64', logical: null, optional: true, value: 'float' };
const DECIMAL: ColumnType = {
  type: 'bytes',
  logical: 'org.apache.kafka.connect.data.Decimal',
  optional: true,
  value: 'decimal',
};
/** numeric without a scale: Debezium's VariableScaleDecimal struct (decimal.handling.mode=precise). */
const VARIABLE_DECIMAL: ColumnType = {
  type: 'struct',
  logical: 'io.debezium.data.VariableScaleDecimal',
  optional: true,
  value: 'decimal',
};

const temporal = (type: ColumnType['type'], logical: string): ColumnType => ({
  type,
  logical,
  optional: true,
  value: 'temporal',
});
const DATE = temporal('int32', 'io.debezium.time.Date');
/** time.precision.mode=adaptive_time_microseconds, as the stream's connector is set. */
const TIMESTAMP = temporal('int64', 'io.debezium.time.MicroTimestamp');
const TIMESTAMPTZ = temporal('string', 'io.debezium.time.ZonedTimestamp');

function scalarType(typname: string, typmod: number): ColumnType | null {
  switch (typname) {
    case 'date':
      return DATE;
    case 'timestamp':
      return TIMESTAMP;
    case 'timestamptz':
      return TIMESTAMPTZ;
    case 'float4':
      return FLOAT32;
    case 'float8':
      return FLOAT64;
    case 'numeric':
      return typmod === -1 ? VARIABLE_DECIMAL : DECIMAL;
    case 'money':
      return DECIMAL;
    default:
      return null;
  }
}

function declaredType(column: ColumnInfo): ColumnType | null {
  if (column.elementType === null) return scalarType(column.type, column.typmod);
  // An array's typmod is its element's.
  const items = scalarType(column.elementType, column.typmod);
  return items && { type: 'array', logical: null, optional: true, value: 'array', items };
}

/** The declared types of the table's float, decimal, date and timestamp columns (and arrays), by name. */
export function declaredColumnTypes(info: TableInfo): ColumnTypes {
  const types = new Map<string, ColumnType>();
  for (const column of info.columns) {
    const type = declaredType(column);
    if (type) types.set(column.name, type);
  }
  return types;
}
