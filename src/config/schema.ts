// The one configuration schema. Every setting is an environment variable, documented here (the
// `doc` strings) and in .env.example, which a unit test keeps in step with this file.
import convict from 'convict';
import { parseTableOverrides, SINK_NAMES } from './tables.js';
import { checkHostPort, checkMongoUrl, checkUrl } from './urls.js';

const splitList = (value: unknown) =>
  String(value)
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

// convict's own 'nat' and 'port' coerce with parseInt, which reads "30s" as 30 and "9464abc" as
// 9464: a unit or a typo must fail instead, so numbers are digits only.
const digitsOnly = (value: unknown) =>
  typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;

// The words true and false, and nothing else ('strict-boolean' below says why).
const trueOrFalse = (value: unknown) => (value === 'true' ? true : value === 'false' ? false : value);

/** The largest byte count a setting takes (1 GiB); a derived size is capped to it too. */
export const MAX_BYTE_COUNT = 2 ** 30;

// A sink's own fetch size: 0 takes the KAFKA_ one.
const BYTE_COUNT_OR_INHERIT =
  'a whole number of bytes (digits only): 0 (the KAFKA_ setting) or from 1024 to 1073741824';
const isByteCount = (value: unknown) =>
  Number.isSafeInteger(value) && (value as number) >= 1024 && (value as number) <= MAX_BYTE_COUNT;
const isByteCountOrInherit = (value: unknown) => value === 0 || isByteCount(value);

/** 1000 % lets the old generation grow to 11x what survived: past any use, and past V8's own 4x. */
const MAX_HEAP_GROWING_PERCENT = 1000;
const isHeapGrowingPercent = (value: unknown) =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_HEAP_GROWING_PERCENT;

// convict looks custom formats up by name; registering them here keeps them beside their use.
const MAX_TIMER_MS = 2 ** 31 - 1;

convict.addFormats({
  'whole-number': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (!Number.isSafeInteger(value) || (value as number) < 0)
        throw new Error('must be a whole number (digits only, 0 or more)');
    },
  },
  // Node's timers fire at once for delays above 2^31 - 1 ms, so longer ones are refused.
  'duration-ms': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_TIMER_MS)
        throw new Error(`must be milliseconds, digits only, from 1 to ${MAX_TIMER_MS}`);
    },
  },
  'duration-ms-or-off': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_TIMER_MS)
        throw new Error(`must be milliseconds, digits only, from 0 (off) to ${MAX_TIMER_MS}`);
    },
  },
  'positive-count': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 10_000)
        throw new Error('must be a whole number from 1 to 10000');
    },
  },
  'entry-count': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > 10_000_000)
        throw new Error('must be a whole number from 0 to 10000000');
    },
  },
  'byte-count-or-inherit': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (!isByteCountOrInherit(value)) throw new Error(`must be ${BYTE_COUNT_OR_INHERIT}`);
    },
  },
  'byte-count-inherit-or-auto': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (value !== 'auto' && !isByteCountOrInherit(value))
        throw new Error(`must be auto, or ${BYTE_COUNT_OR_INHERIT}`);
    },
  },
  'byte-count': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (!isByteCount(value))
        throw new Error('must be a whole number of bytes (digits only) from 1024 to 1073741824');
    },
  },
  'port-number': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535)
        throw new Error('must be a port number (digits only, 0 - 65535)');
    },
  },
  'broker-list': {
    coerce: splitList,
    validate: (value: unknown) => {
      if (!Array.isArray(value) || value.length === 0)
        throw new Error('must be a non-empty comma-separated list of host:port');
      for (const broker of value) checkHostPort(String(broker), 'broker');
    },
  },
  'http-url': {
    coerce: (value: unknown) => value,
    validate: (value: unknown) => checkUrl(value, ['http:', 'https:']),
  },
  'optional-http-url': {
    coerce: (value: unknown) => value,
    validate: (value: unknown) => {
      if (value !== '') checkUrl(value, ['http:', 'https:']);
    },
  },
  'postgres-url': {
    coerce: (value: unknown) => value,
    validate: (value: unknown) => checkUrl(value, ['postgres:', 'postgresql:']),
  },
  'mongodb-url': { coerce: (value: unknown) => value, validate: checkMongoUrl },
  'optional-comma-list': { coerce: splitList, validate: () => undefined },
  'sink-list': {
    coerce: splitList,
    validate: (value: unknown) => {
      if (!Array.isArray(value) || value.length === 0) throw new Error('must name at least one sink');
      for (const sink of value) {
        if (!SINK_NAMES.includes(sink))
          throw new Error(`"${sink}" is not a sink; expected ${SINK_NAMES.join(' and/or ')}`);
      }
    },
  },
  // convict's Boolean takes any string but "false" as true; a typo must fail instead.
  'strict-boolean': {
    coerce: trueOrFalse,
    validate: (value: unknown) => {
      if (typeof value !== 'boolean') throw new Error('must be true or false');
    },
  },
  'percent-or-auto': {
    coerce: digitsOnly,
    validate: (value: unknown) => {
      if (value !== 'auto' && !isHeapGrowingPercent(value))
        throw new Error(`must be auto or a whole number of percent from 0 to ${MAX_HEAP_GROWING_PERCENT}`);
    },
  },
  'true-false-or-auto': {
    coerce: trueOrFalse,
    validate: (value: unknown) => {
      if (typeof value !== 'boolean' && value !== 'auto') throw new Error('must be true, false or auto');
    },
  },
  'table-overrides': {
    coerce: (value: unknown) => value,
    validate: (value: unknown) => {
      parseTableOverrides(value);
    },
  },
});

export const schema = {
  logLevel: {
    doc: 'pino log level: fatal, error, warn, info, debug or trace.',
    format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    env: 'LOG_LEVEL',
  },
  shutdownTimeoutMs: {
    doc: 'On SIGTERM/SIGINT, how long in-flight batches may take to finish; after that they are abandoned uncommitted (and redone by the next run).',
    format: 'duration-ms',
    default: 30000,
    env: 'SHUTDOWN_TIMEOUT_MS',
  },
  heapGrowingPercent: {
    doc: "How far V8 lets the old generation grow past what survived its last full collection before it collects again, in percent (V8's --heap-growing-percent, set at start). 0 leaves V8's own growth (up to 4x), or what the Node command line set. auto: 100 (at most 2x) when the process runs both sinks, which keeps a both-sinks catch-up under 200 MiB of RSS; 0 with one sink, where the collections the cap forces cost more CPU than the memory it saves is worth (MongoDB alone on the bench: about 10 % less CPU per event, at about 235 MiB peak RSS instead of 175).",
    format: 'percent-or-auto',
    default: 'auto',
    env: 'HEAP_GROWING_PERCENT',
  },
  http: {
    host: {
      doc: 'Address the /metrics, /healthz and /readyz server binds to (0.0.0.0 inside a container).',
      format: String,
      default: '127.0.0.1',
      env: 'HTTP_HOST',
    },
    port: {
      doc: 'Port of the /metrics, /healthz and /readyz server; 0 picks a free one.',
      format: 'port-number',
      default: 9464,
      env: 'HTTP_PORT',
    },
  },
  kafka: {
    brokers: {
      doc: 'Kafka bootstrap brokers, comma-separated host:port.',
      format: 'broker-list',
      default: ['127.0.0.1:9092'],
      env: 'KAFKA_BROKERS',
    },
    clientId: {
      doc: 'Kafka client id, shown in broker logs and quotas.',
      format: String,
      default: 'cdc-fanout',
      env: 'KAFKA_CLIENT_ID',
    },
    groupIdBase: {
      doc: 'Base of the consumer group ids: each sink consumes as "<base>.<sink>" and commits its own offsets.',
      format: String,
      default: 'cdc-fanout',
      env: 'KAFKA_GROUP_ID_BASE',
    },
    topicPrefix: {
      doc: 'Debezium topic.prefix: table topics are "<prefix>.<schema>.<table>".',
      format: String,
      default: 'cdc',
      env: 'DEBEZIUM_TOPIC_PREFIX',
    },
    topics: {
      doc: 'Table topics to consume, comma-separated; empty means every topic matching "<prefix>.<schema>.<table>" at start.',
      format: 'optional-comma-list',
      default: [] as string[],
      env: 'KAFKA_TOPICS',
    },
    topicRefreshMs: {
      doc: 'How often, in milliseconds, to look for new table topics when KAFKA_TOPICS is empty; 0 turns it off.',
      format: 'duration-ms-or-off',
      default: 30000,
      env: 'KAFKA_TOPIC_REFRESH_MS',
    },
    fromBeginning: {
      doc: 'Where a new consumer group starts: true for the earliest offset (a full load), false for the latest.',
      format: 'strict-boolean',
      default: true,
      env: 'KAFKA_FROM_BEGINNING',
    },
    partitionsConcurrency: {
      doc: 'How many partitions one sink pipeline writes at once.',
      format: 'positive-count',
      default: 3,
      env: 'KAFKA_PARTITIONS_CONCURRENCY',
    },
    fetchAhead: {
      doc: "Fetch a partition's next batch while its batch in hand is written (one batch of look-ahead; still written and committed in order). auto: on when the process runs one sink (SINKS), off with both. Pays off when round trips to Kafka or the sink are long, or with one sink per process (3-20 % faster MongoDB catch-ups on the bench); costs a second fetch in memory per consumer (12-22 MiB more peak RSS with both sinks on the bench, for no gain there).",
      format: 'true-false-or-auto',
      default: 'auto',
      env: 'KAFKA_FETCH_AHEAD',
    },
    maxBytesPerPartition: {
      doc: 'Largest fetch response per partition, in bytes: about the size of one batch (one bulk request) per partition.',
      format: 'byte-count',
      default: 524288,
      env: 'KAFKA_MAX_BYTES_PER_PARTITION',
    },
    maxBytes: {
      doc: 'Largest fetch response over all partitions, in bytes: bounds what one fetch holds in memory (two with KAFKA_FETCH_AHEAD).',
      format: 'byte-count',
      default: 2097152,
      env: 'KAFKA_MAX_BYTES',
    },
    maxWaitMs: {
      doc: 'How long the broker may hold a fetch that finds no new record, in milliseconds; a fetch returns as soon as there is one.',
      format: 'duration-ms',
      default: 5000,
      env: 'KAFKA_MAX_WAIT_MS',
    },
    sessionTimeoutMs: {
      doc: 'Consumer group session timeout in milliseconds.',
      format: 'duration-ms',
      default: 30000,
      env: 'KAFKA_SESSION_TIMEOUT_MS',
    },
  },
  registry: {
    url: {
      doc: 'Schema registry of Avro topics (Confluent wire format): the base of its Confluent-compatible API, e.g. http://registry:8081 (Confluent, Karapace) or http://registry:8080/apis/ccompat/v7 (Apicurio). Empty: none, and an Avro record is dead-lettered. Credentials in it are redacted from logs.',
      format: 'optional-http-url',
      default: '',
      env: 'REGISTRY_URL',
      sensitive: true,
    },
    username: {
      doc: 'Schema registry basic-auth user (empty: none).',
      format: String,
      default: '',
      env: 'REGISTRY_USERNAME',
    },
    password: {
      doc: 'Schema registry basic-auth password.',
      format: String,
      default: '',
      env: 'REGISTRY_PASSWORD',
      sensitive: true,
    },
    requestTimeoutMs: {
      doc: 'Timeout of one schema registry request, in milliseconds; a registry that does not answer is retried like a sink that does not.',
      format: 'duration-ms',
      default: 10000,
      env: 'REGISTRY_REQUEST_TIMEOUT_MS',
    },
  },
  deadLetter: {
    enabled: {
      doc: 'Send permanently failing events to the dead-letter topic; when false the pipeline stops on them instead.',
      format: 'strict-boolean',
      default: true,
      env: 'DEAD_LETTER_ENABLED',
    },
    topic: {
      doc: 'Dead-letter topic: original key and value, headers naming the error, sink, topic, partition and offset.',
      format: String,
      default: 'cdc-fanout.dead-letter',
      env: 'DEAD_LETTER_TOPIC',
    },
  },
  retry: {
    minTimeoutMs: {
      doc: 'First retry delay for transient sink errors, in milliseconds; it grows exponentially with jitter.',
      format: 'duration-ms',
      default: 200,
      env: 'RETRY_MIN_TIMEOUT_MS',
    },
    maxTimeoutMs: {
      doc: 'Longest delay between retries, in milliseconds. Retries go on until the write succeeds.',
      format: 'duration-ms',
      default: 30000,
      env: 'RETRY_MAX_TIMEOUT_MS',
    },
    stallTimeoutMs: {
      doc: 'A partition whose batch is not written for this long, or whose waiting records are not fetched for this long, makes /readyz 503 naming it, in milliseconds: a sink that hangs without failing is seen. A consumer out of its consumer group for this long is replaced by a new one.',
      format: 'duration-ms',
      default: 60000,
      env: 'PIPELINE_STALL_TIMEOUT_MS',
    },
  },
  sinks: {
    doc: 'Sinks this instance writes to, comma-separated: elasticsearch, mongodb.',
    format: 'sink-list',
    default: ['elasticsearch', 'mongodb'],
    env: 'SINKS',
  },
  elasticsearch: {
    url: {
      doc: 'Elasticsearch URL; credentials in it are redacted from logs.',
      format: 'http-url',
      default: 'http://127.0.0.1:9200',
      env: 'ELASTICSEARCH_URL',
      sensitive: true,
    },
    username: {
      doc: 'Elasticsearch basic-auth user (empty: none).',
      format: String,
      default: '',
      env: 'ELASTICSEARCH_USERNAME',
    },
    password: {
      doc: 'Elasticsearch basic-auth password.',
      format: String,
      default: '',
      env: 'ELASTICSEARCH_PASSWORD',
      sensitive: true,
    },
    apiKey: {
      doc: 'Elasticsearch API key (takes precedence over basic auth).',
      format: String,
      default: '',
      env: 'ELASTICSEARCH_API_KEY',
      sensitive: true,
    },
    indexPrefix: {
      doc: 'Prefix of the default index names ("<prefix><schema>.<table>", lowercased); a table\'s elasticsearchIndex is used as given.',
      format: String,
      default: '',
      env: 'ELASTICSEARCH_INDEX_PREFIX',
    },
    requestTimeoutMs: {
      doc: 'Timeout of one Elasticsearch request, in milliseconds.',
      format: 'duration-ms',
      default: 30000,
      env: 'ELASTICSEARCH_REQUEST_TIMEOUT_MS',
    },
    bulkMaxBytes: {
      doc: "Largest _bulk request body, in bytes; keep it well below the server's http.max_content_length (Elasticsearch's default 100mb; the local stack sets 16mb), which is also the largest single document that can be written. A request over the server's limit is split; a single document over it is dead-lettered.",
      format: 'byte-count',
      default: 8388608,
      env: 'ELASTICSEARCH_BULK_MAX_BYTES',
    },
    gcDeletes: {
      doc: 'index.gc_deletes of the indices the sink creates: how long a delete keeps its version guard.',
      format: String,
      default: '1h',
      env: 'ELASTICSEARCH_GC_DELETES',
    },
    reindexDiscoveryMs: {
      doc: 'How often the sink looks for a running `reindex` (an alias "<index>-reindex") to write each change to its new index as well. `reindex` waits twice this long before it backfills: give the service and the command the same value.',
      format: 'duration-ms',
      default: 5000,
      env: 'ELASTICSEARCH_REINDEX_DISCOVERY_MS',
    },
    fetchMaxBytes: {
      doc: 'KAFKA_MAX_BYTES for the consumer of the Elasticsearch sink only; 0 takes KAFKA_MAX_BYTES.',
      format: 'byte-count-or-inherit',
      default: 0,
      env: 'ELASTICSEARCH_FETCH_MAX_BYTES',
    },
    fetchMaxBytesPerPartition: {
      doc: 'KAFKA_MAX_BYTES_PER_PARTITION for the consumer of the Elasticsearch sink only (about one batch per partition); 0 takes KAFKA_MAX_BYTES_PER_PARTITION.',
      format: 'byte-count-or-inherit',
      default: 0,
      env: 'ELASTICSEARCH_FETCH_MAX_BYTES_PER_PARTITION',
    },
  },
  mongodb: {
    url: {
      doc: 'MongoDB connection string; credentials in it are redacted from logs.',
      format: 'mongodb-url',
      default: 'mongodb://127.0.0.1:27017',
      env: 'MONGODB_URL',
      sensitive: true,
    },
    requestTimeoutMs: {
      doc: 'How long one MongoDB request may take before it fails (and is retried), in milliseconds.',
      format: 'duration-ms',
      default: 30000,
      env: 'MONGODB_REQUEST_TIMEOUT_MS',
    },
    database: {
      doc: 'MongoDB database the collections are written to.',
      format: String,
      default: 'cdc',
      env: 'MONGODB_DATABASE',
    },
    tombstoneTtlMs: {
      doc: 'How long a deleted row leaves a tombstone (its id and position) so that an older write arriving later (resync, replay) cannot bring it back, in milliseconds; removed by a TTL index. Keep it above the longest resync.',
      format: 'duration-ms',
      default: 86400000,
      env: 'MONGODB_TOMBSTONE_TTL_MS',
    },
    reindexDiscoveryMs: {
      doc: 'How often the sink looks for a running `reindex --sink mongodb` (a record in the collection "_cdc_fanout_reindexes") to write each change to its new collection as well. `reindex` waits twice this long before it backfills, and again after the switch before it drops the new name: give the service and the command the same value.',
      format: 'duration-ms',
      default: 5000,
      env: 'MONGODB_REINDEX_DISCOVERY_MS',
    },
    writeGuard: {
      doc: 'How a write is kept from replacing a newer document. "range" (the default): one round trip per batch, each write filtered on _id and "stored position before this one", which MongoDB answers from the _id index; a write that collides is read and retried by compare-and-set. "compare-and-set": the stored positions are read first (or remembered, MONGODB_POSITION_CACHE_ENTRIES) and each write names the exact one, for servers that scan the collection for a range on a field other than _id (FerretDB 1.24): two round trips per batch.',
      format: ['range', 'compare-and-set'],
      default: 'range',
      env: 'MONGODB_WRITE_GUARD',
    },
    positionCacheEntries: {
      doc: 'With MONGODB_WRITE_GUARD=compare-and-set only: stored positions the sink remembers per collection (those it last wrote or read), so that a write can name the stored position without reading it first: one round trip per batch instead of two. About 85 bytes each with short ids; the least recent are forgotten first. A wrong one (another instance, resync) costs a read, never a wrong write. 0 (the default) reads before every write.',
      format: 'entry-count',
      default: 0,
      env: 'MONGODB_POSITION_CACHE_ENTRIES',
    },
    fetchMaxBytes: {
      doc: "KAFKA_MAX_BYTES for the consumer of the MongoDB sink only; 0 takes KAFKA_MAX_BYTES. auto: twice KAFKA_MAX_BYTES when MongoDB is the process's only sink (SINKS), else KAFKA_MAX_BYTES (see MONGODB_FETCH_MAX_BYTES_PER_PARTITION).",
      format: 'byte-count-inherit-or-auto',
      default: 'auto',
      env: 'MONGODB_FETCH_MAX_BYTES',
    },
    fetchMaxBytesPerPartition: {
      doc: "KAFKA_MAX_BYTES_PER_PARTITION for the consumer of the MongoDB sink only (about one batch per partition); 0 takes KAFKA_MAX_BYTES_PER_PARTITION. auto: twice KAFKA_MAX_BYTES_PER_PARTITION when MongoDB is the process's only sink (SINKS), else KAFKA_MAX_BYTES_PER_PARTITION. Alone, the sink has the memory a second consumer would have held: batches twice as large cost the server less per document (about 7 % faster MongoDB-alone catch-ups on the bench, 15 MiB more peak RSS); with both sinks that memory would bring peak RSS near 200 MiB.",
      format: 'byte-count-inherit-or-auto',
      default: 'auto',
      env: 'MONGODB_FETCH_MAX_BYTES_PER_PARTITION',
    },
  },
  postgres: {
    url: {
      doc: 'PostgreSQL connection string, used by the verify, resync, reindex and generate tools, and by start to check TABLES renames against the tables (optional there: unreachable, the check happens on the first events).',
      format: 'postgres-url',
      default: 'postgres://postgres:postgres@127.0.0.1:5432/inventory',
      env: 'POSTGRES_URL',
      sensitive: true,
    },
  },
  defaults: {
    decimal: {
      doc: 'How decimals are written when a table does not say: "string" (exact) or "double" (a number, may round).',
      format: ['string', 'double'],
      default: 'string',
      env: 'DEFAULT_DECIMAL_MODE',
    },
    truncate: {
      doc: 'What a TRUNCATE does when a table does not say: "ignore" (keep documents) or "delete" (delete them).',
      format: ['ignore', 'delete'],
      default: 'ignore',
      env: 'DEFAULT_TRUNCATE_MODE',
    },
  },
  tables: {
    doc: 'Per-table settings as JSON keyed by "<schema>.<table>": sinks, elasticsearchIndex, mongodbCollection, includeColumns, excludeColumns, rename (column -> field name), decimal, truncate; or, instead of the first six, targets: [{sink, index|collection, includeColumns|excludeColumns, rename}, ...] for several indices or collections per table (README: Routing one table to several targets).',
    format: 'table-overrides',
    default: {},
    env: 'TABLES',
  },
};
