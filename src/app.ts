// Wires the service from its configuration: one pipeline per sink, each with its own consumer
// group, sharing the dead-letter producer and the HTTP surface. Nothing here is global: the
// logger and the metrics registry come in from the caller.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config/load.js';
import type { SinkName } from './config/tables.js';
import { ConfigError, errorMessage } from './errors.js';
import { HttpSurface } from './http/server.js';
import type { KafkaClient, KafkaProducer } from './kafka/client.js';
import { fetchSizesFor } from './kafka/fetch-sizes.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { redactUrl } from './observability/logger.js';
import { DeadLetterTopic } from './pipeline/dead-letter.js';
import { SinkPipeline } from './pipeline/sink-pipeline.js';
import { RegistryClient } from './registry/client.js';
import { WriterSchemaCache } from './registry/writer-schemas.js';
import { Router, tableTopicPattern } from './router/router.js';
import { ElasticsearchSink, createElasticsearchClient } from './sinks/elasticsearch/sink.js';
import { DualWriteMongoSink } from './sinks/mongodb/dual-write.js';
import { MongoSink, createMongoClient } from './sinks/mongodb/sink.js';
import type { Sink } from './sinks/sink.js';

const TOPIC_POLL_MS = 5000;
const SINK_PING_MS = 5000;
const RESTART_DELAY_MS = 5000;

/** The variable whose value each sink's client is built from, named when the client refuses it. */
const SINK_URL_VARIABLE: Record<SinkName, string> = {
  elasticsearch: 'ELASTICSEARCH_URL',
  mongodb: 'MONGODB_URL',
};

export function createSink(name: SinkName, config: Config, logger: Logger): Sink {
  try {
    if (name === 'elasticsearch') {
      const options = { ...config.elasticsearch, logger };
      return new ElasticsearchSink(createElasticsearchClient(options), options);
    }
    const client = createMongoClient(config.mongodb.url, config.mongodb.requestTimeoutMs);
    // Writes to the collection a running `reindex --sink mongodb` builds as well (dual-write.ts).
    return new DualWriteMongoSink(
      new MongoSink(client, { ...config.mongodb, logger }),
      client.db(config.mongodb.database),
      { discoveryMs: config.mongodb.reindexDiscoveryMs, logger },
    );
  } catch (error) {
    // The driver checks more than the schema can (its options, its host syntax).
    throw new ConfigError(`invalid configuration:\n${SINK_URL_VARIABLE[name]}: ${errorMessage(error)}`);
  }
}

export class Service {
  private readonly metrics: Metrics;
  private readonly http: HttpSurface;
  private readonly pipelines: SinkPipeline[] = [];
  private readonly sinks: Sink[] = [];
  private readonly sinkUp = new Map<string, boolean>();
  private producer: KafkaProducer | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private topicWatcher: NodeJS.Timeout | null = null;
  private refreshing = false;
  private topics: string[] = [];
  private deadLetters: DeadLetterTopic | null = null;
  /** One cache of Avro writer schemas for every pipeline; null without REGISTRY_URL. */
  private readonly writerSchemas: WriterSchemaCache | null;
  private stopping = false;
  private waitingForTopics = true;

  constructor(
    private readonly config: Config,
    private readonly kafka: KafkaClient,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.metrics = createMetrics(registry);
    this.writerSchemas =
      config.registry.url === '' ? null : new WriterSchemaCache(new RegistryClient(config.registry));
    this.http = new HttpSurface({
      host: config.http.host,
      port: config.http.port,
      registry,
      readiness: () => this.readiness(),
    });
  }

  private readiness() {
    if (this.waitingForTopics) {
      return [{ name: 'topics', ready: false, reason: 'waiting for table topics to exist' }];
    }
    return this.pipelines.map((pipeline) => {
      const status = pipeline.status();
      const up = this.sinkUp.get(status.sink) ?? false;
      return {
        name: status.sink,
        ready: status.ready && up,
        reason: status.reason ?? (up ? null : `${status.sink} is not reachable`),
      };
    });
  }

  /** Starts serving HTTP and the pipelines; resolves once they run (not once they caught up). */
  async start(): Promise<{ port: number }> {
    // Sink clients first: a setting their drivers refuse ends the start before anything serves.
    for (const name of this.config.sinks) this.sinks.push(createSink(name, this.config, this.logger));
    const address = await this.http.listen();
    this.logger.info(
      {
        http: `${address.address}:${address.port}`,
        brokers: this.config.kafka.brokers,
        sinks: this.config.sinks,
        elasticsearch: redactUrl(this.config.elasticsearch.url),
        mongodb: redactUrl(this.config.mongodb.url),
        registry: this.config.registry.url === '' ? null : redactUrl(this.config.registry.url),
      },
      'cdc-fanout starting',
    );
    const topics = await this.discoverTopics();
    if (this.stopping) return { port: address.port };
    this.waitingForTopics = false;
    this.logger.info({ topics }, 'consuming table topics');

    this.topics = topics;
    if (this.config.deadLetter.enabled) {
      this.producer = this.kafka.producer();
      await this.producer.connect();
      this.deadLetters = new DeadLetterTopic(this.producer, this.config.deadLetter.topic);
    }
    this.pingSinks();
    this.pinger = setInterval(() => this.pingSinks(), SINK_PING_MS);
    // Each pipeline starts on its own: one sink being down must not delay the other.
    this.sinks.forEach((sink, index) => this.launch(sink, index));
    if (this.config.kafka.topics.length === 0 && this.config.kafka.topicRefreshMs > 0) {
      this.topicWatcher = setInterval(() => void this.refreshTopics(), this.config.kafka.topicRefreshMs);
    }
    return { port: address.port };
  }

  /**
   * Runs the sink's pipeline in slot `index`. A failed start, or a consumer that crashed for good
   * (e.g. no group coordinator for longer than its retries after a broker restart), is replaced by
   * a fresh pipeline and consumer: it resumes at the group's committed offsets.
   */
  private launch(sink: Sink, index: number): void {
    const pipeline: SinkPipeline = new SinkPipeline({
      sink,
      consumer: this.kafka.consumer(
        `${this.config.kafka.groupIdBase}.${sink.name}`,
        fetchSizesFor(this.config, sink.name),
      ),
      router: new Router(this.config, sink.name),
      deadLetters: this.deadLetters,
      topics: this.topics,
      fromBeginning: this.config.kafka.fromBeginning,
      retry: this.config.retry,
      stallTimeoutMs: this.config.retry.stallTimeoutMs,
      metrics: this.metrics,
      logger: this.logger,
      writerSchemas: this.writerSchemas,
      onConsumerCrash: () =>
        this.relaunch(sink, index, pipeline, 'consumer crashed; restarting the pipeline'),
    });
    this.pipelines[index] = pipeline;
    pipeline.start().catch((error: unknown) => {
      this.relaunch(sink, index, pipeline, 'pipeline failed to start; retrying', error);
    });
  }

  private relaunch(
    sink: Sink,
    index: number,
    pipeline: SinkPipeline,
    message: string,
    error?: unknown,
  ): void {
    this.logger.error(
      { sink: sink.name, ...(error === undefined ? {} : { error: errorMessage(error) }) },
      message,
    );
    void pipeline
      .stop()
      .catch(() => undefined)
      .then(() => {
        setTimeout(() => {
          if (!this.stopping && this.pipelines[index] === pipeline) this.launch(sink, index);
        }, RESTART_DELAY_MS).unref();
      });
  }

  /**
   * kafkajs subscribes to a fixed topic list, so a table whose topic appears later (a table added
   * to the publication) needs the pipelines to subscribe again. New topics are read from their
   * start when KAFKA_FROM_BEGINNING is true, so nothing of the new table is missed.
   */
  private async refreshTopics(): Promise<void> {
    if (this.refreshing || this.stopping) return;
    this.refreshing = true;
    try {
      const pattern = tableTopicPattern(this.config.kafka.topicPrefix);
      const found = (await this.kafka.listTopics()).filter((topic) => pattern.test(topic)).sort();
      const added = found.filter((topic) => !this.topics.includes(topic));
      if (added.length === 0 || this.stopping) return;
      this.logger.info({ added }, 'new table topics: resubscribing');
      this.topics = [...new Set([...this.topics, ...found])].sort();
      for (const [index, sink] of this.sinks.entries()) {
        await this.pipelines[index]?.stop();
        if (!this.stopping) this.launch(sink, index);
      }
    } catch (error) {
      this.logger.warn({ error: errorMessage(error) }, 'cannot list Kafka topics');
    } finally {
      this.refreshing = false;
    }
  }

  private pingSinks(): void {
    for (const pipeline of this.pipelines) pipeline.refreshReadiness();
    for (const sink of this.sinks) {
      void sink.ping().then((up) => {
        if (this.sinkUp.get(sink.name) !== up)
          this.logger.info({ sink: sink.name, up }, 'sink reachability changed');
        this.sinkUp.set(sink.name, up);
        this.metrics.sinkUp.set({ sink: sink.name }, up ? 1 : 0);
      });
    }
  }

  private async discoverTopics(): Promise<string[]> {
    if (this.config.kafka.topics.length > 0) return [...this.config.kafka.topics];
    const pattern = tableTopicPattern(this.config.kafka.topicPrefix);
    for (;;) {
      try {
        const topics = (await this.kafka.listTopics()).filter((topic) => pattern.test(topic)).sort();
        if (topics.length > 0 || this.stopping) return topics;
        this.logger.warn(
          { pattern: pattern.source },
          'no table topics yet; is the Debezium connector registered?',
        );
      } catch (error) {
        this.logger.warn({ error: errorMessage(error) }, 'cannot list Kafka topics yet');
      }
      await new Promise((resolve) => setTimeout(resolve, TOPIC_POLL_MS));
      if (this.stopping) return [];
    }
  }

  /** Stops fetching, lets in-flight batches finish or abandon without committing, disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pinger) clearInterval(this.pinger);
    if (this.topicWatcher) clearInterval(this.topicWatcher);
    await Promise.allSettled(this.pipelines.map((pipeline) => pipeline.stop()));
    await Promise.allSettled([...this.sinks.map((sink) => sink.close()), this.producer?.disconnect()]);
    await this.http.close();
    this.logger.info('cdc-fanout stopped');
  }
}
