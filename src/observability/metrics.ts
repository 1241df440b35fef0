// Every metric of the service, created on a registry that is passed in (never the global one),
// so tests and tools can build their own. Names follow Prometheus conventions under cdc_fanout_.
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

export interface Metrics {
  readonly eventsConsumed: Counter<'sink' | 'table' | 'op'>;
  readonly sinkWrites: Counter<'sink' | 'table' | 'result'>;
  readonly writeDuration: Histogram<'sink'>;
  readonly endToEndLatency: Histogram<'sink' | 'table'>;
  readonly retries: Counter<'sink' | 'reason'>;
  readonly deadLetters: Counter<'sink' | 'topic' | 'error'>;
  readonly consumerLag: Gauge<'sink' | 'topic' | 'partition'>;
  readonly sinkUp: Gauge<'sink'>;
  readonly pipelineReady: Gauge<'sink'>;
}

export function createMetrics(registry: Registry): Metrics {
  collectDefaultMetrics({ register: registry, prefix: 'cdc_fanout_' });
  // prom-client also exports these gauges with a `_total` suffix, which promtool rejects for
  // non-counters; the same values remain as cdc_fanout_nodejs_active_{handles,requests,resources}.
  for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
    registry.removeSingleMetric(`cdc_fanout_nodejs_${name}`);
  }
  const registers = [registry];
  return {
    eventsConsumed: new Counter({
      name: 'cdc_fanout_events_consumed_total',
      help: 'Change events read from Kafka, by sink pipeline, table and op (r, c, u, d, t, tombstone, undecodable).',
      labelNames: ['sink', 'table', 'op'],
      registers,
    }),
    sinkWrites: new Counter({
      name: 'cdc_fanout_sink_writes_total',
      help: 'Document operations acknowledged by a sink, by result: written, stale (a newer version was stored), dead_lettered.',
      labelNames: ['sink', 'table', 'result'],
      registers,
    }),
    writeDuration: new Histogram({
      name: 'cdc_fanout_sink_write_duration_seconds',
      help: 'Duration of one bulk write to a sink.',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 2.5, 5, 10],
      registers,
    }),
    endToEndLatency: new Histogram({
      name: 'cdc_fanout_end_to_end_latency_seconds',
      help: 'From the source commit (source.ts_ms) to the sink acknowledging the document.',
      labelNames: ['sink', 'table'],
      // Fine below 1 s, where a caught-up pipeline lives, so that a p99 is pinned to tens of ms;
      // coarse above, where only a backlog puts it.
      buckets: [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10, 30,
        60, 300,
      ],
      registers,
    }),
    retries: new Counter({
      name: 'cdc_fanout_retries_total',
      help: 'Retried attempts after transient failures, by sink (or dead-letter) and error class.',
      labelNames: ['sink', 'reason'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'cdc_fanout_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by sink, source topic and error class.',
      labelNames: ['sink', 'topic', 'error'],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'cdc_fanout_consumer_lag',
      help: 'Records between the committed position and the partition end, per sink group.',
      labelNames: ['sink', 'topic', 'partition'],
      registers,
    }),
    sinkUp: new Gauge({
      name: 'cdc_fanout_sink_up',
      help: '1 when the sink answered its last reachability check, else 0.',
      labelNames: ['sink'],
      registers,
    }),
    pipelineReady: new Gauge({
      name: 'cdc_fanout_pipeline_ready',
      help: '1 when the sink pipeline has joined its group and is writing without retries, else 0.',
      labelNames: ['sink'],
      registers,
    }),
  };
}
