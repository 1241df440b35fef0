// Peer: MongoDB's official Kafka sink connector (org.mongodb.kafka:mongo-kafka-connect, installed
// by stack/bench/install-mongo-kafka.sh) in the stack's Connect worker, with its Debezium
// Postgres CDC handler, into database bench_mongo_kafka (a collection per topic, named like the
// topic).
//
// Converter: the topics' JsonConverter records are read *without* schemas, and
// ExtractField$Key/$Value take their `payload`, so the handler sees the bare envelope
// {before, after, source, op}. With schemas the connector writes numeric columns as Decimal128,
// which FerretDB 1.24 cannot decode: its connection drops ("invalid BSON type wirebson.Decimal128"
// in its log, MongoSocketReadException "Prematurely reached end of stream" in the task) and the task
// fails. Schemaless, a numeric arrives as Debezium's base64 bytes and is stored as that string.
// Stored forms: _id {id: <int>}, every other column of `after` as JSON gives it (the handler moves
// the key column into _id): text, integers, created_at as ZonedTimestamp text, order_date as days
// since the epoch, amount as base64.
import type { Peer } from './peer.js';
import { connectPeer } from './support/connect-peer.js';
import { mongoReader } from './support/correctness.js';
import { dropDatabase } from './support/mongo.js';
import { keyDocumentId, tableSpec } from './support/tables.js';

export const MONGO_KAFKA_DATABASE = 'bench_mongo_kafka';

export const mongoKafkaPeer: Peer = connectPeer({
  name: 'mongo-kafka-connect',
  sink: 'mongodb',
  connectorClass: 'com.mongodb.kafka.connect.MongoSinkConnector',
  installScript: 'install-mongo-kafka.sh',
  config: (endpoints) => ({
    'tasks.max': process.env.BENCH_CONNECT_TASKS_MAX ?? '1',
    'connection.uri': endpoints.mongodbUrl,
    database: MONGO_KAFKA_DATABASE,
    'change.data.capture.handler':
      'com.mongodb.kafka.connect.sink.cdc.debezium.rdbms.postgres.PostgresHandler',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    transforms: 'key,value',
    'transforms.key.type': 'org.apache.kafka.connect.transforms.ExtractField$Key',
    'transforms.key.field': 'payload',
    'transforms.value.type': 'org.apache.kafka.connect.transforms.ExtractField$Value',
    'transforms.value.field': 'payload',
    // Records that are not JSON (the topics hold a few, written by the dead-letter tests) are
    // skipped and logged instead of failing the task; a write error is tolerated the same way,
    // and then shows up as a missing or different document in the correctness check.
    'errors.tolerance': 'all',
    'errors.log.enable': 'true',
  }),
  tableSpec: (topic) =>
    tableSpec(topic, topic, {
      date: 'epochDays',
      decimal: 'decimalBase64',
      idForm: '_id {id: <int>}, the key column only there',
      idOf: keyDocumentId('id'),
      keyInIdOnly: true,
    }),
  reader: (endpoints) => mongoReader(endpoints, MONGO_KAFKA_DATABASE),
  dropTargets: (endpoints) => dropDatabase(endpoints, MONGO_KAFKA_DATABASE),
});
