// Peer: Debezium's own MongoDB sink connector (io.debezium.connector.mongodb.MongoDbSinkConnector,
// from the debezium-connector-mongodb plugin of the Debezium version the stack pins, installed by
// stack/bench/install-debezium-mongo.sh) into database bench_debezium_mongo; its default naming
// gives a collection per topic, cdc_inventory_<table>. Stored forms: _id {id: <int>} (the key
// column only there), text and integers as is, created_at as ZonedTimestamp text, order_date as
// days since the epoch, and numeric columns as Decimal128.
//
// Limits:
//  - Decimal128 is not supported by FerretDB 1.24: the first orders write (amount numeric(12,2))
//    makes FerretDB drop the connection ("invalid BSON type wirebson.Decimal128"). The sink has no
//    setting for another decimal form and needs the records' schemas (a schemaless record fails
//    with "Unsupported value type"), and no stock SMT reaches a nested field. Against FerretDB,
//    BENCH_DEBEZIUM_MONGO_DECIMAL128=0 leaves the topics of tables with numeric columns out (see
//    UNSUPPORTED); the stack's stand-in and MongoDB store Decimal128.
//  - 3.2.3's sink fails its task on a tombstone (NullPointerException in
//    KafkaDebeziumSinkRecord.value: "Cannot invoke ...Schema.type() because schema is null"), so a
//    Filter SMT with the RecordIsTombstone predicate drops tombstones; deletes come from op=d.
import type { Peer } from './peer.js';
import { connectPeer } from './support/connect-peer.js';
import { mongoReader } from './support/correctness.js';
import { dropDatabase } from './support/mongo.js';
import { keyDocumentId, tableOfTopic, tableSpec } from './support/tables.js';

export const DEBEZIUM_MONGO_DATABASE = 'bench_debezium_mongo';

/** Tables whose Debezium records carry Kafka Connect Decimal values (numeric columns). */
const DECIMAL_TABLES = new Set(['inventory.orders', 'inventory.hard_types']);

const UNSUPPORTED =
  'Debezium MongoDB sink writes numeric columns as Decimal128, which FerretDB 1.24 cannot decode ' +
  '(it drops the connection: "invalid BSON type wirebson.Decimal128"); left out by BENCH_DEBEZIUM_MONGO_DECIMAL128=0';

export const debeziumMongoPeer: Peer = connectPeer({
  name: 'debezium-mongodb-sink',
  sink: 'mongodb',
  connectorClass: 'io.debezium.connector.mongodb.MongoDbSinkConnector',
  installScript: 'install-debezium-mongo.sh',
  config: (endpoints) => ({
    'tasks.max': process.env.BENCH_CONNECT_TASKS_MAX ?? '1',
    'mongodb.connection.string': endpoints.mongodbUrl,
    'sink.database': DEBEZIUM_MONGO_DATABASE,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'true',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'true',
    transforms: 'dropTombstones',
    'transforms.dropTombstones.type': 'org.apache.kafka.connect.transforms.Filter',
    'transforms.dropTombstones.predicate': 'isTombstone',
    predicates: 'isTombstone',
    'predicates.isTombstone.type': 'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone',
    // Records that are not JSON (the topics hold a few, written by the dead-letter tests) are
    // skipped and logged instead of failing the task.
    'errors.tolerance': 'all',
    'errors.log.enable': 'true',
  }),
  unsupportedTopics: (topics) =>
    new Map(
      process.env.BENCH_DEBEZIUM_MONGO_DECIMAL128 !== '0'
        ? []
        : topics.filter((t) => DECIMAL_TABLES.has(tableOfTopic(t))).map((t) => [t, UNSUPPORTED] as const),
    ),
  tableSpec: (topic) =>
    tableSpec(topic, topic.replaceAll('.', '_'), {
      date: 'epochDays',
      decimal: 'decimalText',
      idForm: '_id {id: <int>}, the key column only there',
      idOf: keyDocumentId('id'),
      keyInIdOnly: true,
    }),
  reader: (endpoints) => mongoReader(endpoints, DEBEZIUM_MONGO_DATABASE),
  dropTargets: (endpoints) => dropDatabase(endpoints, DEBEZIUM_MONGO_DATABASE),
});
