// The rest of the type map (docs/types.md) through the real connector, beyond type-fidelity's row:
// bit strings, citext, ltree, xml, cidr, MAC addresses, oid, a domain, hstore, timetz, ranges,
// point, a float's NaN and ±Infinity, json kept in its own key order, and arrays of most of them
// (date[] and timestamp[] with infinity, char(n)[] padding, float8[] with NaN). The rows are
// inserted, updated and deleted, and the documents both sinks hold are compared with literals
// written here, not computed by the project's reader. Then resync races the stream and verify must
// find every document equal. A second table holds the values Debezium itself loses (a 2-D array,
// bit(n)[], numeric NaN, geometric types it leaves out...): verify must name every such column.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'lossless-json';
import type pg from 'pg';
import { runCli } from '../support/cli.js';
import { pollUntil } from '../support/poll.js';
import { PUBLICATION } from '../support/run-tables.js';
import { TestRun } from '../support/run.js';
import { uniqueRunId } from '../support/stack.js';

const COLUMNS = `id int PRIMARY KEY, vc varchar(12), cit citext, lt ltree, x xml, net cidr, mac macaddr,
  mac8 macaddr8, o oid, bits bit(4), vb varbit(8), dom DOMAIN_NAME, hs hstore, ttz timetz, nr numrange,
  dr daterange, tsr tsrange, tzr tstzrange, pt point, f4 real, f8 double precision, js json, uarr uuid[], darr date[],
  tsarr timestamp[], narr numeric[], iparr inet[], jarr jsonb[], earr inventory.mood[], barr boolean[],
  i8arr bigint[], f8arr double precision[], carr char(3)[], tarr text[], byarr bytea[]`;

const ROW_1 = `(1, 'tab\there', 'MiXeD Case', 'Top.Science.Astronomy', '<a b="1">x &amp; y</a>',
  '10.1.0.0/16', '08-00-2B-01-02-03', '08:00:2b:01:02:03:04:05', 4294967295, B'1010', B'101', 7,
  '"a b"=>"1", "k"=>NULL', '10:20:30.123456+05:30', '[1.5,2.25)', '(2024-01-01,2024-02-01]',
  '[2024-01-01 00:00,2024-01-02 12:30)', '[2024-01-01 00:00+00,2024-01-02 00:00+00)', '(1.5,-2)', 'NaN', 'Infinity', '{"b": 1, "a": [true, null]}',
  '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{2024-02-29,infinity,-infinity}',
  '{"2024-02-29 23:59:59.5",infinity,-infinity}', '{1.50,-0.25,NULL}', '{192.168.0.1/24,::1}',
  ARRAY['{"$gt": 1}'::jsonb], '{happy,sad}', '{t,f,NULL}', '{9223372036854775807,-1}',
  '{1.5,NaN,-Infinity}', '{a,bc,NULL}', '{"a,b","with \\"quote\\"",NULL,""}', ARRAY['\\x00ff'::bytea])`;

/** Row 4, inserted while the service runs: empty values wherever a type has one. */
const ROW_4 = `(4, '', '', '', '', '0.0.0.0/0', '00:00:00:00:00:00', '00:00:00:00:00:00:00:00', 0, B'0000', B'',
  1, '', '00:00:00+00', 'empty', 'empty', 'empty', 'empty', '(0,0)', '-Infinity', 0, '{}', '{}', '{}', '{}', '{}',
  '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}')`;

/** Row 1 after its update (f4, darr, hs and x changed), as both sinks store it. */
const row1 = (gtKey: string) => ({
  id: 1,
  vc: 'tab\there',
  cit: 'MiXeD Case',
  lt: 'Top.Science.Astronomy',
  x: '<b/>',
  net: '10.1.0.0/16',
  mac: '08:00:2b:01:02:03',
  mac8: '08:00:2b:01:02:03:04:05',
  o: 4294967295,
  // Debezium's Bits: java.util.BitSet bytes, bit 0 first: 1010 is 0x0a, 101 is 0x05.
  bits: 'Cg==',
  vb: 'BQ==',
  dom: 7,
  hs: { 'a b': '2' },
  // timetz as Debezium sends it: shifted to UTC.
  ttz: '04:50:30.123456Z',
  nr: '[1.5,2.25)',
  dr: '[2024-01-02,2024-02-02)',
  tsr: '["2024-01-01 00:00:00","2024-01-02 12:30:00")',
  // As the server's TimeZone (UTC on the stack) prints it, which is what Debezium sends.
  tzr: '["2024-01-01 00:00:00+00","2024-01-02 00:00:00+00")',
  // Little-endian WKB of POINT(1.5 -2), as Debezium builds it.
  pt: { x: 1.5, y: -2, wkb: 'AQEAAAAAAAAAAAD4PwAAAAAAAADA', srid: null },
  f4: -Infinity,
  f8: Infinity,
  js: { b: 1, a: [true, null] },
  uarr: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  darr: ['-infinity', '1999-12-31'],
  tsarr: ['2024-02-29T23:59:59.500000', 'infinity', '-infinity'],
  narr: ['1.5', '-0.25', null],
  iparr: ['192.168.0.1/24', '::1'],
  jarr: [{ [gtKey]: 1 }],
  earr: ['happy', 'sad'],
  barr: [true, false, null],
  i8arr: [9223372036854775807n, -1],
  f8arr: [1.5, NaN, -Infinity],
  carr: ['a  ', 'bc ', null],
  tarr: ['a,b', 'with "quote"', null, ''],
  byarr: ['AP8='],
});

const ROW_2 = Object.fromEntries(Object.keys(row1('')).map((name) => [name, name === 'id' ? 2 : null]));

const ROW_4_DOCUMENT = {
  id: 4,
  vc: '',
  cit: '',
  lt: '',
  x: '',
  net: '0.0.0.0/0',
  mac: '00:00:00:00:00:00',
  mac8: '00:00:00:00:00:00:00:00',
  o: 0,
  // java.util.BitSet of no set bit: no bytes (bit(4) says how many zeros).
  bits: '',
  vb: '',
  dom: 1,
  hs: {},
  ttz: '00:00:00.000000Z',
  nr: 'empty',
  dr: 'empty',
  tsr: 'empty',
  tzr: 'empty',
  pt: { x: 0, y: 0, wkb: 'AQEAAAAAAAAAAAAAAAAAAAAAAAAA', srid: null },
  f4: -Infinity,
  f8: 0,
  js: {},
  uarr: [],
  darr: [],
  tsarr: [],
  narr: [],
  iparr: [],
  jarr: [],
  earr: [],
  barr: [],
  i8arr: [],
  f8arr: [],
  carr: [],
  tarr: [],
  byarr: [],
};

/** Values Debezium loses before they reach Kafka (docs/types.md, "Lost by the connector"). */
const LOST_COLUMNS = `id int PRIMARY KEY, grid int2[], flags bit(3)[], n numeric, ns numeric[], old date[],
  ln line, seg lseg, bx box, pth path, poly polygon, circ circle, mr int4multirange, tv tsvector, pts point[]`;
const LOST_ROW = `(1, '{{1,2},{3,4}}', '{101,010}', 'NaN', '{1.5,NaN}', '{0044-03-15 BC}', '{1,-1,0}',
  '[(0,0),(1,1)]', '((0,0),(1,1))', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))', '<(0,0),2>',
  '{[1,3),[5,7)}', 'a fat cat', '{"(1,2)"}')`;
const LOST = ['grid', 'flags', 'n', 'ns', 'old', 'ln', 'seg', 'bx', 'pth', 'poly', 'circ', 'mr', 'tv', 'pts'];

/** lossless-json text, with NaN and the infinities spelt out (JSON has none of them). */
function show(document: unknown): string {
  return stringify(document, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? `<${value}>` : value,
  )!;
}

/** Elasticsearch keeps a float's NaN and ±Infinity as Debezium's strings (docs/types.md). */
function asElasticsearchStores(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return value.map(asElasticsearchStores);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asElasticsearchStores(item)]));
}

async function createExtensions(pg: pg.Client): Promise<void> {
  for (const extension of ['hstore', 'citext', 'ltree'])
    await pg.query(`CREATE EXTENSION IF NOT EXISTS ${extension}`);
}

describe(
  'the type map through the real connector: insert, update, delete, resync racing, verify',
  { timeout: 300_000 },
  () => {
    const run = uniqueRunId('alltypes');
    const prefix = run.replace(/-/g, '_');
    const table = `${prefix}_types`;
    const lost = `${prefix}_lost`;
    const domain = `inventory.${prefix}_positive`;
    const fixture = new TestRun(run, { ownTables: [table, lost] });
    const cli = (...args: string[]) => runCli(fixture.env, args);

    before(async () => {
      const { pg } = (await fixture.open()).stores;
      await createExtensions(pg);
      await pg.query('BEGIN');
      await pg.query(`CREATE DOMAIN ${domain} AS integer CHECK (VALUE > 0)`);
      await pg.query(`CREATE TABLE inventory.${table} (${COLUMNS.replace('DOMAIN_NAME', domain)})`);
      await pg.query(`CREATE TABLE inventory.${lost} (${LOST_COLUMNS})`);
      await pg.query(`ALTER PUBLICATION ${PUBLICATION} ADD TABLE inventory.${table}, inventory.${lost}`);
      await pg.query('COMMIT');
      const nulls = ', NULL'.repeat(Object.keys(ROW_2).length - 1);
      await pg.query(`INSERT INTO inventory.${table} VALUES ${ROW_1}, (2${nulls}), (3${nulls})`);
      await pg.query(`INSERT INTO inventory.${lost} VALUES ${LOST_ROW}`);
      await fixture.service.start();
      // While the service runs: an update of several types, a delete, an insert of empty values.
      await pg.query(
        `UPDATE inventory.${table} SET f4 = '-Infinity', darr = '{-infinity,1999-12-31}', hs = '"a b"=>"2"', x = '<b/>' WHERE id = 1`,
      );
      await pg.query(`DELETE FROM inventory.${table} WHERE id = 3`);
      await pg.query(`INSERT INTO inventory.${table} VALUES ${ROW_4}`);
      // Not converge(): it compares with verify, which the literals below must not depend on. Every
      // row the tests read, not only the last one written: the table's topic has three partitions,
      // so row 4 can reach a sink before rows 1 and 2 do.
      await pollUntil('rows 1 (updated), 2 and 4 in both sinks, row 3 gone', async () => {
        const stored = await fixture.storedDocuments(table);
        return [stored.elasticsearch, stored.mongodb].every((documents) => {
          const rows = documents as Array<{ id: number; x?: unknown }>;
          return rows.map(({ id }) => id).join() === '1,2,4' && rows[0]!.x === '<b/>';
        });
      });
    });

    after(() => fixture.close());

    test('Elasticsearch holds the literals (NaN and ±Infinity as strings, kept in _source)', async () => {
      const { elasticsearch } = await fixture.storedDocuments(table);
      assert.deepEqual(
        elasticsearch.map((doc) => show(doc)),
        [row1('$gt'), ROW_2, ROW_4_DOCUMENT].map((doc) => show(asElasticsearchStores(doc))),
      );
    });

    test('MongoDB holds the literals (NaN and ±Infinity as doubles)', async () => {
      const { mongodb } = await fixture.storedDocuments(table);
      assert.deepEqual(
        mongodb.map((doc) => show(doc)),
        [row1('＄gt'), ROW_2, ROW_4_DOCUMENT].map((doc) => show(doc)),
      );
    });

    test('resync racing updates and deletes, then verify finds every document equal in both sinks', async () => {
      const { pg } = fixture.stores;
      const rows = Array.from({ length: 200 }, (_, i) => i + 10);
      await pg.query(
        `INSERT INTO inventory.${table} SELECT n, vc, cit, lt, x, net, mac, mac8, o, bits, vb, dom, hs, ttz, nr, dr,
         tsr, tzr, pt, f4, f8, js, uarr, darr, tsarr, narr, iparr, jarr, earr, barr, i8arr, f8arr, carr, tarr, byarr
       FROM inventory.${table}, unnest($1::int[]) AS n WHERE id = 1`,
        [rows],
      );
      let racing = true;
      const workload = (async () => {
        for (let round = 0; racing; round++) {
          const id = rows[round % rows.length]!;
          if (round % 5 === 4) await pg.query(`DELETE FROM inventory.${table} WHERE id = $1`, [id]);
          else
            await pg.query(
              `UPDATE inventory.${table} SET f8arr = ARRAY[$2::float8, 'NaN'], darr = '{infinity}', vc = $2::text WHERE id = $1`,
              [id, round],
            );
        }
      })();
      const resync = await cli('resync', '--table', `inventory.${table}`);
      racing = false;
      await workload;
      assert.equal(resync.code, 0, `${resync.stdout}\n${resync.stderr}`);
      await fixture.converge({ tables: [table] });
      const verify = await cli('verify', '--table', `inventory.${table}`);
      assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    });

    test('verify names every column whose value Debezium loses (the row still arrives)', async () => {
      // Its document differs by design, so wait for it to arrive rather than to agree.
      await pollUntil('the lost-types row in both sinks', async () => {
        const index = `${run}-inventory.${lost}`;
        const inElasticsearch = await fixture.stores.es.exists({ index, id: '1' }).catch(() => false);
        const inMongo = await fixture.mongo
          .db(fixture.env.MONGODB_DATABASE)
          .collection(`inventory.${lost}`)
          .countDocuments({ id: 1 });
        return inElasticsearch && inMongo === 1;
      });
      const verify = await cli('verify', '--table', `inventory.${lost}`);
      assert.equal(verify.code, 1, verify.stdout);
      for (const column of LOST)
        assert.match(verify.stdout, new RegExp(`\\n    ${column}: postgres `), column);
      assert.doesNotMatch(verify.stdout, /\n {4}id: /);
    });
  },
);
