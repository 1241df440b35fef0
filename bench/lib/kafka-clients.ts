// Raw consume throughput of one topic with other Node Kafka clients against kafkajs (the one behind
// src/kafka): a fresh consumer group reads the topic from its start to its end, counting messages
// and touching each value (no decoding). The candidates are installed on demand outside the
// repository (deps.ts); one that cannot be installed here is reported with the reason.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { DEPS_ROOT, ensurePackages, importFrom, splitSpec, summariseNpmFailure } from './deps.js';

export const CONFLUENT = '@confluentinc/kafka-javascript@1.10.1';
/** The newest @platformatic/kafka whose engines still include Node 20 (2.x needs Node >= 22.22). */
export const PLATFORMATIC = '@platformatic/kafka@1.35.0';
export const PLATFORMATIC_LATEST = '@platformatic/kafka@2.12.1';
/** Debian packages librdkafka's configure links against when it cannot download its own. */
export const LIBRDKAFKA_DEV_PACKAGES = [
  'zlib1g-dev',
  'libssl-dev',
  'libzstd-dev',
  'libsasl2-dev',
  'libcurl4-openssl-dev',
];

export interface ClientResult {
  readonly client: string;
  readonly version: string;
  readonly available: boolean;
  /** How it was installed, or why it is not available. */
  readonly note: string;
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
}

export interface ConsumeTarget {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Messages the topic holds (end minus start offsets). */
  readonly expected: number;
  readonly runId: string;
  readonly timeoutMs: number;
}

interface Meter {
  count: number;
  first: number;
  last: number;
}

function meter(): Meter {
  return { count: 0, first: 0, last: 0 };
}

function touch(m: Meter, n: number, bytes: number): void {
  const now = performance.now();
  if (m.count === 0) m.first = now;
  m.count += n;
  m.last = now;
  // Keeps the values "used" so that no client is measured doing less than the others.
  if (bytes < 0) console.log(bytes);
}

async function waitFor(m: Meter, target: ConsumeTarget): Promise<void> {
  const deadline = Date.now() + target.timeoutMs;
  while (m.count < target.expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function result(client: string, version: string, note: string, m: Meter): ClientResult {
  // From the first message to the last: group join and metadata are left out for every client.
  const seconds = Math.max((m.last - m.first) / 1000, 1e-3);
  return {
    client,
    version,
    available: true,
    note,
    messages: m.count,
    seconds,
    messagesPerSecond: m.count / seconds,
  };
}

async function packageVersion(path: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export async function measureKafkajs(target: ConsumeTarget): Promise<ClientResult> {
  const version = await packageVersion(join(process.cwd(), 'node_modules/kafkajs/package.json'));
  const kafka = new Kafka({
    clientId: 'bench-kafkajs',
    brokers: [...target.brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `${target.runId}.kafkajs` });
  const m = meter();
  await consumer.connect();
  await consumer.subscribe({ topics: [target.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      let bytes = 0;
      for (const message of batch.messages) bytes += message.value?.length ?? 0;
      touch(m, batch.messages.length, bytes);
    },
  });
  await waitFor(m, target);
  await consumer.disconnect();
  return result('kafkajs', version, 'the service’s client (eachBatch, 3 partitions at once)', m);
}

function missingDebianPackages(): string[] {
  return LIBRDKAFKA_DEV_PACKAGES.filter((name) => {
    try {
      return !/install ok installed/.test(
        execFileSync('dpkg-query', ['-W', '-f=${Status}', name], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      );
    } catch {
      return true;
    }
  });
}

/**
 * @confluentinc/kafka-javascript: its install downloads a prebuilt librdkafka binding from GitHub,
 * which this machine cannot reach; the npm tarball carries librdkafka's sources, so node-gyp can
 * build it, linked dynamically against Debian's libraries (librdkafka's own configure would
 * download zlib, OpenSSL, zstd and curl sources too).
 */
export async function installConfluent(): Promise<{
  dir: string | null;
  note: string;
  plainFailure: string;
}> {
  const [name, version] = splitSpec(CONFLUENT);
  const failureFile = join(DEPS_ROOT, 'confluent-plain-failure.txt');
  let plainFailure = existsSync(failureFile) ? await readFile(failureFile, 'utf8') : '';
  if (!plainFailure) {
    const plain = await ensurePackages('confluent-plain', [CONFLUENT], { timeoutMs: 10 * 60_000 });
    plainFailure = plain.ok ? 'plain npm install succeeded' : (plain.error ?? 'failed');
    await writeFile(failureFile, plainFailure);
    if (plain.ok) return { dir: plain.dir, note: 'plain npm install (prebuilt binary)', plainFailure };
  }
  const missing = missingDebianPackages();
  if (missing.length > 0) {
    return {
      dir: null,
      note: `prebuilt download failed and a source build needs Debian packages: apt-get install ${missing.join(' ')}`,
      plainFailure,
    };
  }
  const built = await ensurePackages('confluent-source', [CONFLUENT], {
    env: { CKJS_LINKING: 'dynamic', npm_config_build_from_source: 'true' },
    args: ['--foreground-scripts'],
    timeoutMs: 20 * 60_000,
  });
  if (!built.ok) return { dir: null, note: `source build failed: ${built.error}`, plainFailure };
  const how = built.cached ? 'built earlier' : `built in ${built.seconds.toFixed(0)} s`;
  return {
    dir: built.dir,
    note: `${name}@${version} built from source with node-gyp (CKJS_LINKING=dynamic, npm_config_build_from_source=true, Debian ${LIBRDKAFKA_DEV_PACKAGES.join(' ')}; ${how})`,
    plainFailure,
  };
}

interface ConfluentModule {
  KafkaJS: {
    Kafka: new (config: unknown) => {
      consumer(config: unknown): {
        connect(): Promise<void>;
        subscribe(options: unknown): Promise<void>;
        run(options: unknown): Promise<void>;
        disconnect(): Promise<void>;
      };
    };
  };
  librdkafkaVersion?: string;
  default?: { librdkafkaVersion?: string };
}

export async function measureConfluent(
  target: ConsumeTarget,
  dir: string,
  note: string,
): Promise<ClientResult> {
  const module = await importFrom<ConfluentModule>(dir, '@confluentinc/kafka-javascript');
  const librdkafka = module.librdkafkaVersion ?? module.default?.librdkafkaVersion ?? '?';
  const version = `${splitSpec(CONFLUENT)[1]} (librdkafka ${librdkafka})`;
  const kafka = new module.KafkaJS.Kafka({
    kafkaJS: { brokers: [...target.brokers], clientId: 'bench-confluent', logLevel: 0 },
  });
  const consumer = kafka.consumer({
    kafkaJS: { groupId: `${target.runId}.confluent`, fromBeginning: true, autoCommit: false },
  });
  const m = meter();
  await consumer.connect();
  await consumer.subscribe({ topics: [target.topic] });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }: { batch: { messages: Array<{ value: Buffer | null }> } }) => {
      let bytes = 0;
      for (const message of batch.messages) bytes += message.value?.length ?? 0;
      touch(m, batch.messages.length, bytes);
    },
  });
  await waitFor(m, target);
  await consumer.disconnect();
  return result('@confluentinc/kafka-javascript (KafkaJS API)', version, note, m);
}

interface PlatformaticModule {
  Consumer: new (options: unknown) => {
    consume(options: unknown): Promise<
      AsyncIterable<{ value: Buffer | null }> & {
        close(): Promise<void>;
        on(event: string, f: (m: { value: Buffer | null }) => void): void;
      }
    >;
    close(force?: boolean): Promise<void>;
  };
}

export async function measurePlatformatic(
  target: ConsumeTarget,
  dir: string,
  note: string,
): Promise<ClientResult> {
  const module = await importFrom<PlatformaticModule>(dir, '@platformatic/kafka');
  const consumer = new module.Consumer({
    groupId: `${target.runId}.platformatic`,
    clientId: 'bench-platformatic',
    bootstrapBrokers: [...target.brokers],
  });
  const m = meter();
  const stream = await consumer.consume({ topics: [target.topic], mode: 'earliest', autocommit: false });
  stream.on('data', (message) => touch(m, 1, message.value?.length ?? 0));
  await waitFor(m, target);
  await stream.close();
  await consumer.close(true);
  return result('@platformatic/kafka', splitSpec(PLATFORMATIC)[1], note, m);
}

function unavailable(client: string, version: string, note: string): ClientResult {
  return { client, version, available: false, note, messages: 0, seconds: 0, messagesPerSecond: 0 };
}

export interface KafkaClientsReport {
  readonly topic: string;
  readonly results: ClientResult[];
  readonly confluentPlainInstall: string;
  readonly platformaticLatestEngines: string;
}

export async function evaluateKafkaClients(
  target: ConsumeTarget,
  log: (line: string) => void,
): Promise<KafkaClientsReport> {
  const results: ClientResult[] = [];
  log(`kafka clients: kafkajs on ${target.topic} (${target.expected} messages)`);
  results.push(await measureKafkajs({ ...target, runId: `${target.runId}-a` }));

  log('kafka clients: installing @confluentinc/kafka-javascript (a source build takes minutes)');
  const confluent = await installConfluent();
  if (confluent.dir) {
    try {
      results.push(
        await measureConfluent({ ...target, runId: `${target.runId}-b` }, confluent.dir, confluent.note),
      );
    } catch (error) {
      results.push(
        unavailable(
          '@confluentinc/kafka-javascript',
          splitSpec(CONFLUENT)[1],
          `installed, run failed: ${String(error)}`,
        ),
      );
    }
  } else {
    results.push(unavailable('@confluentinc/kafka-javascript', splitSpec(CONFLUENT)[1], confluent.note));
  }

  log('kafka clients: installing @platformatic/kafka');
  const platformatic = await ensurePackages('platformatic', [PLATFORMATIC]);
  let latestEngines = '';
  try {
    latestEngines = execFileSync('npm', ['view', PLATFORMATIC_LATEST, 'engines.node'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    latestEngines = 'unknown (npm view failed)';
  }
  if (platformatic.ok) {
    try {
      const note = `${PLATFORMATIC} (engines node >= 20.19.4; its dependencies @platformatic/dynamic-buffer and wasm-utils declare node >= 22.19, npm warns EBADENGINE); ${PLATFORMATIC_LATEST} needs node ${latestEngines}`;
      results.push(
        await measurePlatformatic({ ...target, runId: `${target.runId}-c` }, platformatic.dir, note),
      );
    } catch (error) {
      results.push(
        unavailable(
          '@platformatic/kafka',
          splitSpec(PLATFORMATIC)[1],
          `installed, run failed: ${String(error)}`,
        ),
      );
    }
  } else {
    results.push(
      unavailable(
        '@platformatic/kafka',
        splitSpec(PLATFORMATIC)[1],
        summariseNpmFailure(platformatic.error ?? ''),
      ),
    );
  }
  return {
    topic: target.topic,
    results,
    confluentPlainInstall: confluent.plainFailure,
    platformaticLatestEngines: latestEngines,
  };
}

/** Consumer groups the evaluation creates, for cleanup. */
export function clientGroups(runId: string): string[] {
  return [`${runId}-a.kafkajs`, `${runId}-b.confluent`, `${runId}-c.platformatic`];
}
