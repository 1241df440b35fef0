import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConfig, schemaLeaves } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

/** Loads with the given env and returns the ConfigError's message; fails if it loads or throws anything else. */
function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

function isDeepFrozen(value: unknown, path = 'config'): void {
  if (value === null || typeof value !== 'object') return;
  assert.ok(Object.isFrozen(value), `${path} is not frozen`);
  for (const [key, child] of Object.entries(value)) isDeepFrozen(child, `${path}.${key}`);
}

describe('loadConfig defaults', () => {
  test('an empty environment loads the documented defaults', () => {
    const config = loadConfig({});
    // Every leaf holds its schema default (settings added later are covered too), but for 'auto',
    // which loading resolves (the test below).
    for (const leaf of schemaLeaves().filter((leaf) => leaf.default !== 'auto')) {
      const value = leaf.path
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
      assert.deepEqual(value, leaf.default, leaf.path);
    }
    // And the defaults the contract and the docs rely on.
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.http, { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(config.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(config.kafka.topicPrefix, 'cdc');
    assert.deepEqual(config.kafka.topics, []);
    assert.equal(config.kafka.fromBeginning, true);
    assert.equal(config.kafka.partitionsConcurrency, 3);
    assert.deepEqual(config.deadLetter, { enabled: true, topic: 'cdc-fanout.dead-letter' });
    assert.deepEqual(config.retry, { minTimeoutMs: 200, maxTimeoutMs: 30000, stallTimeoutMs: 60000 });
    assert.deepEqual(config.sinks, ['elasticsearch', 'mongodb']);
    assert.equal(config.elasticsearch.indexPrefix, '');
    assert.equal(config.mongodb.database, 'cdc');
    assert.equal(config.mongodb.writeGuard, 'range');
    assert.deepEqual(config.defaults, { decimal: 'string', truncate: 'ignore' });
    assert.deepEqual(config.tables, {});
  });

  test('the loaded configuration is deep-frozen', () => {
    const config = loadConfig({
      TABLES: JSON.stringify({ 'public.orders': { sinks: ['mongodb'], excludeColumns: ['secret'] } }),
      KAFKA_TOPICS: 'cdc.public.orders,cdc.public.customers',
    });
    isDeepFrozen(config);
    assert.throws(() => {
      (config.kafka.brokers as string[]).push('x');
    }, TypeError);
    assert.throws(() => {
      (config.tables['public.orders']!.excludeColumns as string[])[0] = 'other';
    }, TypeError);
  });

  test('KAFKA_FETCH_AHEAD=auto (the default) is on with one sink and off with both', () => {
    assert.equal(loadConfig({}).kafka.fetchAhead, false);
    assert.equal(loadConfig({ SINKS: 'mongodb' }).kafka.fetchAhead, true);
    assert.equal(loadConfig({ SINKS: 'elasticsearch' }).kafka.fetchAhead, true);
    assert.equal(loadConfig({ SINKS: 'elasticsearch', KAFKA_FETCH_AHEAD: 'auto' }).kafka.fetchAhead, true);
    assert.equal(loadConfig({ SINKS: 'mongodb', KAFKA_FETCH_AHEAD: 'false' }).kafka.fetchAhead, false);
    assert.equal(loadConfig({ KAFKA_FETCH_AHEAD: 'true' }).kafka.fetchAhead, true);
  });

  test('HEAP_GROWING_PERCENT=auto (the default) caps growth at 100 % with both sinks and leaves V8 its own with one', () => {
    assert.equal(loadConfig({}).heapGrowingPercent, 100);
    assert.equal(loadConfig({ SINKS: 'mongodb' }).heapGrowingPercent, 0);
    assert.equal(loadConfig({ SINKS: 'elasticsearch', HEAP_GROWING_PERCENT: 'auto' }).heapGrowingPercent, 0);
    assert.equal(loadConfig({ SINKS: 'mongodb', HEAP_GROWING_PERCENT: '50' }).heapGrowingPercent, 50);
    assert.equal(loadConfig({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent, 0);
    assert.equal(loadConfig({ HEAP_GROWING_PERCENT: '1000' }).heapGrowingPercent, 1000);
  });

  test('each setting is read from its env var', () => {
    const config = loadConfig({
      LOG_LEVEL: 'debug',
      HTTP_PORT: '0',
      KAFKA_BROKERS: ' a:1 , b:2 ,',
      KAFKA_FROM_BEGINNING: 'false',
      KAFKA_PARTITIONS_CONCURRENCY: '7',
      SINKS: 'mongodb',
      DEAD_LETTER_ENABLED: 'false',
      ELASTICSEARCH_INDEX_PREFIX: 'dev-',
      DEFAULT_DECIMAL_MODE: 'double',
      DEFAULT_TRUNCATE_MODE: 'delete',
      RETRY_MIN_TIMEOUT_MS: '5',
      RETRY_MAX_TIMEOUT_MS: '5',
      PIPELINE_STALL_TIMEOUT_MS: '90000',
      MONGODB_WRITE_GUARD: 'compare-and-set',
      MONGODB_POSITION_CACHE_ENTRIES: '1000',
    });
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.http.port, 0);
    assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2']);
    assert.equal(config.kafka.fromBeginning, false);
    assert.equal(config.kafka.partitionsConcurrency, 7);
    assert.deepEqual(config.sinks, ['mongodb']);
    assert.equal(config.deadLetter.enabled, false);
    assert.equal(config.elasticsearch.indexPrefix, 'dev-');
    assert.deepEqual(config.defaults, { decimal: 'double', truncate: 'delete' });
    assert.deepEqual(config.retry, { minTimeoutMs: 5, maxTimeoutMs: 5, stallTimeoutMs: 90000 });
    assert.equal(config.mongodb.writeGuard, 'compare-and-set');
    assert.equal(config.mongodb.positionCacheEntries, 1000);
  });
});

describe('loadConfig refuses bad values, naming the env var and what was expected', () => {
  const cases: Array<[name: string, env: Record<string, string>, expected: RegExp]> = [
    ['HTTP_PORT=abc', { HTTP_PORT: 'abc' }, /HTTP_PORT: must be a port number .*0 - 65535/],
    ['HTTP_PORT=70000', { HTTP_PORT: '70000' }, /HTTP_PORT: must be a port number .*0 - 65535/],
    ['HTTP_PORT=9464abc (trailing garbage)', { HTTP_PORT: '9464abc' }, /HTTP_PORT: must be a port number/],
    [
      'KAFKA_SESSION_TIMEOUT_MS=30s (a unit)',
      { KAFKA_SESSION_TIMEOUT_MS: '30s' },
      /KAFKA_SESSION_TIMEOUT_MS: must be milliseconds, digits only/,
    ],
    [
      'RETRY_MAX_TIMEOUT_MS=1e3',
      { RETRY_MAX_TIMEOUT_MS: '1e3' },
      /RETRY_MAX_TIMEOUT_MS: must be milliseconds, digits only/,
    ],
    [
      'ELASTICSEARCH_REQUEST_TIMEOUT_MS=2.5',
      { ELASTICSEARCH_REQUEST_TIMEOUT_MS: '2.5' },
      /ELASTICSEARCH_REQUEST_TIMEOUT_MS: must be milliseconds/,
    ],
    ['SINKS=es', { SINKS: 'es' }, /SINKS: .*"es" is not a sink; expected elasticsearch and\/or mongodb/],
    ['SINKS empty', { SINKS: ' , ' }, /SINKS: must name at least one sink/],
    [
      'KAFKA_FROM_BEGINNING=maybe',
      { KAFKA_FROM_BEGINNING: 'maybe' },
      /KAFKA_FROM_BEGINNING: must be true or false/,
    ],
    ['DEAD_LETTER_ENABLED=yes', { DEAD_LETTER_ENABLED: 'yes' }, /DEAD_LETTER_ENABLED: must be true or false/],
    ['KAFKA_FETCH_AHEAD=on', { KAFKA_FETCH_AHEAD: 'on' }, /KAFKA_FETCH_AHEAD: must be true, false or auto/],
    ...['1001', '-1', '2.5', '100%', 'off', ''].map((value): [string, Record<string, string>, RegExp] => [
      `HEAP_GROWING_PERCENT=${value}`,
      { HEAP_GROWING_PERCENT: value },
      /HEAP_GROWING_PERCENT: must be auto or a whole number of percent from 0 to 1000/,
    ]),
    [
      'MONGODB_URL with a port that is not a number',
      { MONGODB_URL: 'mongodb://db.example:notaport' },
      /MONGODB_URL: must name every host as host or host:port with a port from 1 to 65535/,
    ],
    [
      'MONGODB_URL with another scheme',
      { MONGODB_URL: 'mongo://db.example' },
      /MONGODB_URL: must be a MongoDB connection string starting with mongodb:\/\/ or mongodb\+srv:\/\//,
    ],
    [
      'ELASTICSEARCH_URL without a scheme',
      { ELASTICSEARCH_URL: '127.0.0.1:9200' },
      /ELASTICSEARCH_URL: must be a URL starting with http:\/\/ or https:\/\//,
    ],
    [
      'POSTGRES_URL that is not a URL',
      { POSTGRES_URL: 'host=db user=app' },
      /POSTGRES_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//,
    ],
    [
      'KAFKA_BROKERS without a port',
      { KAFKA_BROKERS: 'kafka1:9092,kafka2' },
      /KAFKA_BROKERS: every broker must be host:port/,
    ],
    [
      'KAFKA_BROKERS with port 0',
      { KAFKA_BROKERS: 'kafka1:0' },
      /KAFKA_BROKERS: every broker must be host:port/,
    ],
    ['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, /LOG_LEVEL: must be one of .*info/],
    ['DEFAULT_DECIMAL_MODE=float', { DEFAULT_DECIMAL_MODE: 'float' }, /DEFAULT_DECIMAL_MODE: must be one of/],
    [
      'KAFKA_PARTITIONS_CONCURRENCY=-1',
      { KAFKA_PARTITIONS_CONCURRENCY: '-1' },
      /KAFKA_PARTITIONS_CONCURRENCY: must be a whole number/,
    ],
    [
      'KAFKA_BROKERS empty',
      { KAFKA_BROKERS: ',' },
      /KAFKA_BROKERS: must be a non-empty comma-separated list/,
    ],
    [
      'RETRY_MIN_TIMEOUT_MS > RETRY_MAX_TIMEOUT_MS',
      { RETRY_MIN_TIMEOUT_MS: '1000', RETRY_MAX_TIMEOUT_MS: '999' },
      /RETRY_MIN_TIMEOUT_MS: must not exceed RETRY_MAX_TIMEOUT_MS/,
    ],
    [
      'MONGODB_WRITE_GUARD=optimistic',
      { MONGODB_WRITE_GUARD: 'optimistic' },
      /MONGODB_WRITE_GUARD: must be one of .*range.*compare-and-set/,
    ],
    [
      'MONGODB_POSITION_CACHE_ENTRIES with the range guard',
      { MONGODB_POSITION_CACHE_ENTRIES: '1000' },
      /MONGODB_POSITION_CACHE_ENTRIES: remembers positions for MONGODB_WRITE_GUARD=compare-and-set only/,
    ],
    [
      'ELASTICSEARCH_INDEX_PREFIX=Upper',
      { ELASTICSEARCH_INDEX_PREFIX: 'Upper' },
      /ELASTICSEARCH_INDEX_PREFIX: must be lowercase/,
    ],
    [
      'ELASTICSEARCH_INDEX_PREFIX=_x',
      { ELASTICSEARCH_INDEX_PREFIX: '_x' },
      /ELASTICSEARCH_INDEX_PREFIX: must not start with/,
    ],
    ['TABLES invalid JSON', { TABLES: '{"public.a": ' }, /TABLES: must be JSON/],
    ['TABLES not an object', { TABLES: '[1]' }, /TABLES: must be a JSON object keyed by "<schema>.<table>"/],
    [
      'TABLES unknown key',
      { TABLES: '{"public.a":{"sink":["mongodb"]}}' },
      /TABLES: table "public.a": unknown setting "sink" \(known: sinks, /,
    ],
    [
      'TABLES rename onto a sink-owned field',
      { TABLES: '{"public.a":{"targets":[{"sink":"mongodb","rename":{"a":"_cdc_lsn"}}]}}' },
      /TABLES: table "public.a": targets\[0\]: "rename": column "a": "_cdc_lsn" is a field the mongodb sink owns/,
    ],
    [
      'TABLES two tables writing one index',
      {
        TABLES:
          '{"public.a":{"elasticsearchIndex":"x"},"public.b":{"targets":[{"sink":"elasticsearch","index":"x"}]}}',
      },
      /TABLES: tables "public.a" and "public.b" both write elasticsearch index "x"/,
    ],
    [
      'TABLES a default name taken by another table',
      { TABLES: '{"public.a":{},"public.b":{"mongodbCollection":"public.a"}}', SINKS: 'mongodb' },
      /TABLES: tables "public.a" and "public.b" both write mongodb collection "public.a"/,
    ],
    [
      'TABLES bad sink',
      { TABLES: '{"public.a":{"sinks":["es"]}}' },
      /TABLES: table "public.a": "sinks" must be one of elasticsearch, mongodb/,
    ],
    [
      'TABLES bad index name',
      { TABLES: '{"public.a":{"elasticsearchIndex":"Orders"}}' },
      /TABLES: table "public.a": "elasticsearchIndex" must be lowercase/,
    ],
    [
      'TABLES bad collection name',
      { TABLES: '{"public.a":{"mongodbCollection":"a$b"}}' },
      /TABLES: table "public.a": "mongodbCollection" must not contain \$/,
    ],
    [
      'TABLES includeColumns and excludeColumns',
      { TABLES: '{"public.a":{"includeColumns":["x"],"excludeColumns":["y"]}}' },
      /TABLES: table "public.a": give includeColumns or excludeColumns, not both/,
    ],
    [
      'TABLES key without schema',
      { TABLES: '{"orders":{}}' },
      /TABLES: key "orders" must be "<schema>.<table>"/,
    ],
    [
      'TABLES key with two dots',
      { TABLES: '{"db.public.orders":{}}' },
      /TABLES: key "db.public.orders" must be/,
    ],
  ];
  for (const [name, env, expected] of cases) {
    test(name, () => {
      const message = configError(env);
      assert.match(message, /^invalid configuration:\n/);
      assert.match(message, expected);
      // convict's internal path (http.port, kafka.fromBeginning, ...) is replaced by the env var.
      assert.doesNotMatch(message, /^(http|kafka|retry|deadLetter|elasticsearch|defaults|tables)\./m);
    });
  }

  test('durations beyond what a Node timer can wait, and zero counts, are refused', () => {
    for (const env of [
      'RETRY_MIN_TIMEOUT_MS',
      'RETRY_MAX_TIMEOUT_MS',
      'KAFKA_SESSION_TIMEOUT_MS',
      'KAFKA_TOPIC_REFRESH_MS',
    ]) {
      assert.match(configError({ [env]: '2147483648' }), new RegExp(`^${env}: must be milliseconds`, 'm'));
    }
    assert.match(configError({ RETRY_MIN_TIMEOUT_MS: '0' }), /^RETRY_MIN_TIMEOUT_MS: must be milliseconds/m);
    assert.match(
      configError({ KAFKA_PARTITIONS_CONCURRENCY: '0' }),
      /^KAFKA_PARTITIONS_CONCURRENCY: must be a whole number from 1/m,
    );
    assert.equal(loadConfig({ KAFKA_TOPIC_REFRESH_MS: '0' }).kafka.topicRefreshMs, 0);
  });

  test('every numeric setting refuses a unit, a fraction or trailing text (no parseInt leniency)', () => {
    const numeric = schemaLeaves().filter((leaf) => typeof leaf.default === 'number');
    assert.ok(numeric.length >= 5);
    for (const leaf of numeric) {
      for (const bad of [`${String(leaf.default)}s`, '1.5', '12abc', '-1', '']) {
        const message = configError({ [leaf.env!]: bad });
        assert.match(
          message,
          new RegExp(`^${leaf.env}: must be (a (whole|port) number|milliseconds, digits only)`, 'm'),
          `${leaf.env}=${bad}`,
        );
      }
      // Digits load, surrounding blanks allowed.
      const loaded = loadConfig({ [leaf.env!]: ` ${String(leaf.default)} ` });
      const value = leaf.path
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], loaded);
      assert.equal(value, leaf.default, leaf.env);
    }
  });

  test('several bad values are all named', () => {
    const message = configError({ HTTP_PORT: 'abc', LOG_LEVEL: 'loud', SINKS: 'es' });
    for (const name of ['HTTP_PORT', 'LOG_LEVEL', 'SINKS'])
      assert.match(message, new RegExp(`^${name}: `, 'm'));
  });
});

describe('secrets never appear in a configuration error', () => {
  const secrets = {
    ELASTICSEARCH_PASSWORD: 'es-Pa55word-xyz',
    ELASTICSEARCH_API_KEY: 'api-key-abc123',
    MONGODB_URL: 'mongodb://app:m0ngo-secret@db.example:27017/?authSource=admin',
    POSTGRES_URL: 'postgres://app:pg-s3cret@pg.example:5432/inventory',
    ELASTICSEARCH_URL: 'https://elastic:url-secret@es.example:9200',
  };
  const badValues: Array<Record<string, string>> = [
    { HTTP_PORT: 'abc' },
    { SINKS: 'es' },
    { TABLES: '{' },
    { RETRY_MIN_TIMEOUT_MS: '9', RETRY_MAX_TIMEOUT_MS: '1' },
    { ELASTICSEARCH_INDEX_PREFIX: 'Upper' },
    { MONGODB_URL: 'mongodb://app:m0ngo-secret@db.example:port' },
    { POSTGRES_URL: 'pg://app:pg-s3cret@pg.example' },
    { ELASTICSEARCH_URL: 'ftp://elastic:url-secret@es.example' },
  ];
  for (const bad of badValues) {
    test(`with ${Object.keys(bad).join(', ')} wrong`, () => {
      const message = configError({ ...secrets, ...bad });
      for (const secret of ['es-Pa55word-xyz', 'api-key-abc123', 'm0ngo-secret', 'pg-s3cret', 'url-secret'])
        assert.ok(!message.includes(secret), `message leaks ${secret}: ${message}`);
    });
  }
});

describe('schemaLeaves', () => {
  test('lists every leaf of the schema, each with a distinct env var and a doc', () => {
    const leaves = schemaLeaves();
    const paths = leaves.map((leaf) => leaf.path);
    for (const expected of [
      'logLevel',
      'http.port',
      'kafka.brokers',
      'kafka.fromBeginning',
      'retry.minTimeoutMs',
      'sinks',
      'elasticsearch.password',
      'elasticsearch.indexPrefix',
      'mongodb.url',
      'postgres.url',
      'defaults.truncate',
      'tables',
    ])
      assert.ok(paths.includes(expected), `missing ${expected}`);
    const envs = leaves.map((leaf) => leaf.env);
    assert.ok(
      envs.every((env) => typeof env === 'string' && /^[A-Z][A-Z0-9_]*$/.test(env)),
      'every leaf has an env var',
    );
    assert.equal(new Set(envs).size, envs.length, 'env vars are distinct');
    assert.ok(leaves.every((leaf) => typeof leaf.doc === 'string' && leaf.doc.length > 0));
  });

  test('the leaves are exactly the keys of the loaded configuration (tables aside, which is a map)', () => {
    const config = loadConfig({}) as unknown as Record<string, unknown>;
    const configLeaves: string[] = [];
    const walk = (node: Record<string, unknown>, prefix: string) => {
      for (const [key, value] of Object.entries(node)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (value !== null && typeof value === 'object' && !Array.isArray(value) && path !== 'tables')
          walk(value as Record<string, unknown>, path);
        else configLeaves.push(path);
      }
    };
    walk(config, '');
    assert.deepEqual(
      schemaLeaves()
        .map((leaf) => leaf.path)
        .sort(),
      configLeaves.sort(),
    );
  });

  test('the secrets are marked sensitive (convict then never prints their value)', () => {
    const leaves = schemaLeaves();
    const sensitive = new Set(leaves.filter((leaf) => leaf.sensitive).map((leaf) => leaf.env));
    for (const env of [
      'ELASTICSEARCH_PASSWORD',
      'ELASTICSEARCH_API_KEY',
      'ELASTICSEARCH_URL',
      'MONGODB_URL',
      'POSTGRES_URL',
    ])
      assert.ok(sensitive.has(env), env);
    for (const leaf of leaves) {
      if (/(PASSWORD|API_KEY|SECRET|TOKEN|_URL)$/.test(leaf.env!)) assert.ok(leaf.sensitive, leaf.env);
    }
  });
});

describe('loadConfig under random input', () => {
  const envNames = schemaLeaves().map((leaf) => leaf.env!);

  test('random strings for every env var load or fail with a ConfigError, nothing else', () => {
    const value = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('', ' ', '0', '-1', 'true', 'false', '{}', '[]', 'null', '{"__proto__":{}}', '1e999'),
      fc.json(),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...envNames), value), (env) => {
        try {
          loadConfig(env);
        } catch (error) {
          assert.ok(error instanceof ConfigError, `${JSON.stringify(env)} threw ${String(error)}`);
          assert.match(error.message, /^invalid configuration:\n[A-Z_]+: /);
        }
      }),
      { numRuns: 100 },
    );
  });

  test('random TABLES objects load or fail with a ConfigError naming TABLES', () => {
    const setting = fc.record(
      {
        sinks: fc.oneof(fc.subarray(['elasticsearch', 'mongodb']), fc.array(fc.string())),
        elasticsearchIndex: fc.oneof(fc.string(), fc.integer()),
        mongodbCollection: fc.string(),
        includeColumns: fc.array(fc.string()),
        excludeColumns: fc.array(fc.string()),
        decimal: fc.constantFrom('string', 'double', 'float'),
        truncate: fc.constantFrom('ignore', 'delete', 'nope'),
        other: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const tableKey = fc.oneof(
      fc.constantFrom('public.a', 'inventory.b', 'a', 'a.b.c', '__proto__'),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.dictionary(tableKey, fc.oneof(setting, fc.anything())), (tables) => {
        const text = JSON.stringify(tables);
        try {
          const config = loadConfig({ TABLES: text });
          isDeepFrozen(config);
        } catch (error) {
          assert.ok(error instanceof ConfigError, `${text} threw ${String(error)}`);
          assert.match(error.message, /^invalid configuration:\nTABLES: /);
        }
      }),
      { numRuns: 100 },
    );
  });
});
