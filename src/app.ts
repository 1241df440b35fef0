// Wires the service from its configuration: one pipeline per sink, each with its own consumer
// group, sharing the dead-letter producer and the HTTP surface. Nothing here is global: the
// logger and the metrics registry come in from the caller.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config/load.js';
import type { SinkName } from './config/tables.js';
import { errorMessage } from './errors.js';
import { HttpSurface } from './http/server.js';
import type { KafkaClient, KafkaProducer } from './kafka/client.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { redactUrl } from './observability/logger.js';
import { DeadLetterTopic } from './pipeline/dead-letter.js';
import { SinkPipeline } from './pipeline/sink-pipeline.js';
import { Router, tableTopicPattern } from './router/router.js';
import { ElasticsearchSink, createElasticsearchClient } from './sinks/elasticsearch/sink.js';
import { MongoSink, createMongoClient } from './sinks/mongodb/sink.js';
import type { Sink } from './sinks/sink.js';

const TOPIC_POLL_MS = 5000;
const SINK_PING_MS = 5000;

export function createSink(name: SinkName, config: Config, logger: Logger): Sink {
  if (name === 'elasticsearch') {
    const options = { ...config.elasticsearch, logger };
    return new ElasticsearchSink(createElasticsearchClient(options), options);
  }
  return new MongoSink(createMongoClient(config.mongodb.url), { ...config.mongodb, logger });
}

export class Service {
  private readonly metrics: Metrics;
  private readonly http: HttpSurface;
  private readonly pipelines: SinkPipeline[] = [];
  private readonly sinks: Sink[] = [];
  private readonly sinkUp = new Map<string, boolean>();
  private producer: KafkaProducer | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private stopping = false;
  private waitingForTopics = true;

  constructor(
    private readonly config: Config,
    private readonly kafka: KafkaClient,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.metrics = createMetrics(registry);
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
    const address = await this.http.listen();
    this.logger.info(
      {
        http: `${address.address}:${address.port}`,
        brokers: this.config.kafka.brokers,
        sinks: this.config.sinks,
        elasticsearch: redactUrl(this.config.elasticsearch.url),
        mongodb: redactUrl(this.config.mongodb.url),
      },
      'cdc-fanout starting',
    );
    const topics = await this.discoverTopics();
    if (this.stopping) return { port: address.port };
    this.waitingForTopics = false;
    this.logger.info({ topics }, 'consuming table topics');

    let deadLetters: DeadLetterTopic | null = null;
    if (this.config.deadLetter.enabled) {
      this.producer = this.kafka.producer();
      await this.producer.connect();
      deadLetters = new DeadLetterTopic(this.producer, this.config.deadLetter.topic);
    }
    for (const name of this.config.sinks) {
      const sink = createSink(name, this.config, this.logger);
      this.sinks.push(sink);
      this.pipelines.push(
        new SinkPipeline({
          sink,
          consumer: this.kafka.consumer(`${this.config.kafka.groupIdBase}.${name}`),
          router: new Router(this.config, name),
          deadLetters,
          topics,
          fromBeginning: this.config.kafka.fromBeginning,
          retry: this.config.retry,
          metrics: this.metrics,
          logger: this.logger,
        }),
      );
    }
    this.pingSinks();
    this.pinger = setInterval(() => this.pingSinks(), SINK_PING_MS);
    // Each pipeline starts on its own: one sink being down must not delay the other.
    for (const pipeline of this.pipelines) {
      pipeline.start().catch((error: unknown) => {
        this.logger.error(
          { sink: pipeline.status().sink, error: errorMessage(error) },
          'pipeline failed to start',
        );
      });
    }
    return { port: address.port };
  }

  private pingSinks(): void {
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
    await Promise.allSettled(this.pipelines.map((pipeline) => pipeline.stop()));
    await Promise.allSettled([...this.sinks.map((sink) => sink.close()), this.producer?.disconnect()]);
    await this.http.close();
    this.logger.info('cdc-fanout stopped');
  }
}
