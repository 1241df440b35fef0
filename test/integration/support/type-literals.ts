// The ordinary Postgres types and their edge values, and the documents both sinks must hold for
// them, written out as literals (not computed by the project's own reader). Shared by the JSON
// path's type-fidelity test and the Avro path's, which must store exactly the same documents.
// docs/types.md is the table these literals pin.

export const COLUMNS = `id int PRIMARY KEY, i2 smallint, i8 bigint, num numeric(38,10), numv numeric, mon money,
  f4 real, f8 double precision, b boolean, c char(4), t text, u uuid, j jsonb, ip inet, ir int4range,
  d date, ts timestamp, tstz timestamptz, tm time, iv interval, by bytea, e inventory.mood, arr int[], tarr text[]`;

export const EDGE_ROW = `(1, -32768, 9223372036854775807, 12345678901234567890.0123456789, 1.2436200, 92233720368547758.07,
  3.4e38, 1e308, true, 'a', '日本語 ✓', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"$where": {"a.b": [1, 2, null]}, "_bsontype": "Long"}',
  '::1', '[1,5)', '0044-03-15 BC', '2024-02-29 23:59:59.999999', 'infinity', '24:00:00',
  '-1 year 2 mons 3 days 04:05:06.789', '\\x00ff', 'sad', '{1,NULL,3}', '{"",x}')`;

/** Row 1 as both sinks store it, but for the JSON keys (MongoDB escapes `$` and `.`). */
export const edgeDocument = (json: unknown) => ({
  id: 1,
  i2: -32768,
  i8: 9223372036854775807n,
  num: '12345678901234567890.0123456789',
  numv: '1.24362',
  mon: '92233720368547758.07',
  f4: 3.4e38,
  f8: 1e308,
  b: true,
  c: 'a   ',
  t: '日本語 ✓',
  u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  j: json,
  ip: '::1',
  ir: '[1,5)',
  d: '-000043-03-15',
  ts: '2024-02-29T23:59:59.999999',
  tstz: 'infinity',
  tm: '24:00:00.000000',
  iv: 'P0Y-10M3DT4H5M6.789S',
  by: 'AP8=',
  e: 'sad',
  arr: [1, null, 3],
  tarr: ['', 'x'],
});

/** Row 2: every column NULL. */
export const NULL_DOCUMENT = Object.fromEntries(
  Object.keys(edgeDocument(null)).map((name) => [name, name === 'id' ? 2 : null]),
);

/** The INSERT values of both rows: the edge row, and row 2 with every other column NULL. */
export const TYPE_ROWS = `${EDGE_ROW}, (2${', NULL'.repeat(Object.keys(NULL_DOCUMENT).length - 1)})`;
