// Every benchmark peer, for the driver: `import { PEERS } from './peers/index.js'`.
import { debeziumMongoPeer } from './debezium-mongo.js';
import { mongoKafkaPeer } from './mongo-kafka.js';
import type { Peer } from './peer.js';
import { redpandaElasticsearchPeer, redpandaMongodbPeer } from './redpanda-connect.js';

export type { Peer, PeerResult, PeerRunOptions } from './peer.js';
export { debeziumMongoPeer, mongoKafkaPeer, redpandaElasticsearchPeer, redpandaMongodbPeer };

export const PEERS: readonly Peer[] = [
  mongoKafkaPeer,
  debeziumMongoPeer,
  redpandaElasticsearchPeer,
  redpandaMongodbPeer,
];
