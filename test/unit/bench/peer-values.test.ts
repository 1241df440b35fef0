import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeTrace } from '../../../bench/peers/support/connect.js';
import { describeChecks, type TableCheck } from '../../../bench/peers/support/correctness.js';
import { keyDocumentId, stringId, tableSpec } from '../../../bench/peers/support/tables.js';
import {
  canonicalDecimal,
  decodeDecimalBase64,
  fromDocument,
  fromPostgres,
  isoToEpochMicros,
  postgresExpression,
} from '../../../bench/peers/support/values.js';

describe('bench peers: value forms', () => {
  it('decodes Kafka Connect Decimal bytes (big-endian two complement) with their scale', () => {
    assert.equal(decodeDecimalBase64('Iyc=', 2), '89.99'); // 0x2327 = 8999
    assert.equal(decodeDecimalBase64('Bg4=', 2), '15.50');
    assert.equal(decodeDecimalBase64('AQ==', 2), '0.01');
    assert.equal(decodeDecimalBase64('/w==', 2), '-0.01');
    assert.equal(decodeDecimalBase64('/zE=', 2), '-2.07');
    assert.equal(decodeDecimalBase64('AJiWf/8=', 0), '2559999999');
    // Wider than 64 bits stays exact.
    assert.equal(
      decodeDecimalBase64(Buffer.from('7fffffffffffffffff', 'hex').toString('base64'), 3),
      '2361183241434822606.847',
    );
  });

  it('compares decimals by value, not by their zeros', () => {
    assert.equal(canonicalDecimal('15.50'), '15.5');
    assert.equal(canonicalDecimal('0120.00'), '120');
    assert.equal(canonicalDecimal('-0.00'), '0');
    assert.equal(canonicalDecimal('-0.010'), '-0.01');
    assert.equal(fromDocument('Bg4=', 'decimalBase64', 2), fromPostgres('15.50', 'decimalBase64'));
    assert.equal(fromDocument('15.5', 'decimalText'), fromPostgres('15.50', 'decimalText'));
    assert.equal(fromDocument(15.5, 'decimalText'), '15.5');
  });

  it('reads ZonedTimestamp text whatever its fraction digits, as epoch microseconds', () => {
    assert.equal(isoToEpochMicros('1970-01-01T00:00:01Z'), '1000000');
    assert.equal(
      isoToEpochMicros('2026-11-23T04:19:16.0996Z'),
      isoToEpochMicros('2026-11-23T04:19:16.099600Z'),
    );
    assert.equal(isoToEpochMicros('2026-11-23T06:19:16.5+02:00'), isoToEpochMicros('2026-11-23T04:19:16.5Z'));
    assert.match(fromDocument(12, 'zonedTimestamp'), /^\(not a timestamp\)/);
    assert.match(fromDocument('yesterday', 'zonedTimestamp'), /^\(unreadable/);
  });

  it('reads integers from numbers, bigints and BSON longs, and marks anything else', () => {
    assert.equal(fromDocument(42, 'integer'), '42');
    assert.equal(fromDocument(42n, 'integer'), '42');
    assert.equal(
      fromDocument({ _bsontype: 'Long', toString: () => '9007199254740993' }, 'integer'),
      '9007199254740993',
    );
    assert.match(fromDocument(4.5, 'integer'), /^\(not an integer\)/);
    assert.equal(fromDocument(null, 'text'), fromPostgres(null, 'text'));
  });

  it('reads Postgres in the same forms', () => {
    assert.equal(postgresExpression('order_date', 'epochDays'), `("order_date" - date '1970-01-01')::text`);
    assert.equal(postgresExpression('order_date', 'isoDate'), `to_char("order_date", 'YYYY-MM-DD')`);
    assert.match(postgresExpression('created_at', 'zonedTimestamp'), /extract\(epoch from "created_at"\)/);
  });
});

describe('bench peers: table specs and reports', () => {
  it('maps a topic to its table and the peer forms of its columns', () => {
    const spec = tableSpec('cdc.inventory.orders', 'orders', {
      date: 'epochDays',
      decimal: 'decimalBase64',
      idForm: '_id {id: <int>}',
      idOf: keyDocumentId('id'),
    });
    assert.ok(spec);
    assert.equal(spec.table, 'inventory.orders');
    assert.deepEqual(
      spec.fields.map((f) => `${f.column}:${f.kind}${f.scale ?? ''}`),
      [
        'id:integer',
        'order_date:epochDays',
        'purchaser:integer',
        'quantity:integer',
        'product:text',
        'amount:decimalBase642',
      ],
    );
    assert.equal(
      tableSpec('cdc.inventory.unknown', 'x', {
        date: 'isoDate',
        decimal: 'decimalText',
        idForm: '',
        idOf: stringId,
      }),
      undefined,
    );
  });

  it('reads both id forms', () => {
    assert.equal(keyDocumentId('id')({ _id: { id: 7 } }), '7');
    assert.equal(keyDocumentId('id')({ _id: 7 }), undefined);
    assert.equal(stringId({ _id: '7' }), '7');
    assert.equal(stringId({ _id: { id: 7 } }), undefined);
  });

  it('describes a check with its counts and first problems', () => {
    const check: TableCheck = {
      table: 'inventory.orders',
      target: 'orders',
      rows: 2,
      documents: 2,
      missing: ['1'],
      extra: ['9'],
      different: [{ id: '2', field: 'amount', expected: '15.5', actual: '15.6' }],
      missingCount: 1,
      extraCount: 1,
      differentCount: 1,
      ok: false,
    };
    assert.equal(
      describeChecks([check]),
      'inventory.orders -> orders: 2 rows, 2 docs, 1 missing, 1 extra, 1 different (missing e.g. 1; extra e.g. 9; different e.g. 2.amount: pg 15.5 vs 15.6)',
    );
  });

  it('keeps the message lines of a Java trace', () => {
    const trace = [
      'org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.',
      '\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:636)',
      'Caused by: com.mongodb.MongoSocketReadException: Prematurely reached end of stream',
      '\tat com.mongodb.internal.connection.SocketStream.read(SocketStream.java:112)',
    ].join('\n');
    assert.equal(
      summarizeTrace(trace),
      'org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception. <- Caused by: com.mongodb.MongoSocketReadException: Prematurely reached end of stream',
    );
  });
});
