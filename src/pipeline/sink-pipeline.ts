// One sink's consumer loop: its own consumer group, so a slow or failed sink never holds back the
// other. A batch is decoded, planned, written (retrying only what failed transiently), its
// permanent failures dead-lettered, and only then committed.
import type { Logger } from 'pino';
import type { WriterSchemas } from '../decoder/avro/decode.js';
import { decodeRecord } from '../decoder/index.js';
import type { WriterSchemaCache } from '../registry/writer-schemas.js';
import type { ChangeEvent, RawRecord, RecordCoordinates, RowChange } from '../decoder/types.js';
import {
  CdcFanoutError,
  ConfigError,
  SinkAccessError,
  TransientSinkError,
  errorMessage,
  isRetriable,
} from '../errors.js';
import type { BatchControl, ConsumedBatch, KafkaConsumer } from '../kafka/client.js';
import type { Metrics } from '../observability/metrics.js';
import { qualifiedName, type Router } from '../router/router.js';
import { predatesTruncate, type Sink, type SinkOp } from '../sinks/sink.js';
import { DEAD_LETTER_HEADERS, type DeadLetter, type DeadLetterTopic } from './dead-letter.js';
import { planBatch, type Plan } from './plan.js';
import { ProgressWatch } from './progress.js';
import type { Redecode } from './reloadable-upsert.js';
import { BatchAbandonedError, retryUntilDone, type RetryPolicy } from './retry.js';

export interface SinkPipelineOptions {
  readonly sink: Sink;
  readonly consumer: KafkaConsumer;
  readonly router: Router;
  /** null when dead-lettering is disabled: a permanent failure then stops the pipeline. */
  readonly deadLetters: DeadLetterTopic | null;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly retry: RetryPolicy;
  /** A partition without progress for this long makes the pipeline not ready (PIPELINE_STALL_TIMEOUT_MS). */
  readonly stallTimeoutMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Fetches the writer schemas of Avro records (REGISTRY_URL); null: no registry configured. */
  readonly writerSchemas?: WriterSchemaCache | null;
  /** The consumer crashed and will not restart itself: the owner replaces the pipeline. */
  readonly onConsumerCrash?: () => void;
}

export type PipelineState = 'starting' | 'running' | 'failed' | 'stopped';

export interface PipelineStatus {
  readonly sink: string;
  readonly state: PipelineState;
  readonly ready: boolean;
  readonly reason: string | null;
}

/** Permanent failures with dead-lettering disabled: the pipeline stops rather than skip them. */
export class PipelineHaltedError extends CdcFanoutError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** A sink access failure, bare or as the first failure of a partly failed write. */
function isAccessFailure(error: unknown): boolean {
  return error instanceof SinkAccessError || (error as { cause?: unknown }).cause instanceof SinkAccessError;
}

/** A Debezium table topic's schema and table, for metric labels of events that did not decode. */
function topicTable(topic: string): [schema: string, table: string] {
  const [schema = '', table = ''] = topic.split('.').slice(-2);
  return [schema, table];
}

function eventOp(event: ChangeEvent): string {
  if (event.kind === 'row') return event.op;
  return event.kind === 'truncate' ? 't' : 'tombstone';
}

/**
 * Values by a table's schema and name. Nested by part rather than keyed by the joined name: it is
 * looked up for every event, and the name is joined once per table and batch instead.
 */
class ByTable<V> {
  private readonly bySchema = new Map<string, Map<string, { name: string; value: V }>>();

  constructor(private readonly make: (name: string) => V) {}

  get(schema: string, table: string): V {
    let tables = this.bySchema.get(schema);
    if (!tables) this.bySchema.set(schema, (tables = new Map()));
    let entry = tables.get(table);
    if (!entry) {
      const name = qualifiedName(schema, table);
      tables.set(table, (entry = { name, value: this.make(name) }));
    }
    return entry.value;
  }

  *entries(): IterableIterator<[string, V]> {
    for (const tables of this.bySchema.values())
      for (const { name, value } of tables.values()) yield [name, value];
  }
}

/** Counts by table and label, so that a batch updates each labelled metric once. */
class Counts {
  private readonly byTable = new ByTable<Map<string, number>>(() => new Map());

  add(schema: string, table: string, label: string): void {
    const labels = this.byTable.get(schema, table);
    labels.set(label, (labels.get(label) ?? 0) + 1);
  }

  forEach(each: (table: string, label: string, count: number) => void): void {
    for (const [table, labels] of this.byTable.entries())
      for (const [label, count] of labels) each(table, label, count);
  }
}

export class SinkPipeline {
  private state: PipelineState = 'starting';
  /** Since when the consumer has been out of its group (null: in it). Set when it starts running. */
  private outOfGroupSince: number | null = null;
  private retryingBatches = 0;
  private failure: string | null = null;
  private readonly log: Logger;
  private readonly sinkName: string;
  private readonly progress: ProgressWatch;
  /** The partitions whose lag this pipeline reports: cleared when they may move to another member. */
  private readonly lagLabels = new Map<string, { topic: string; partition: string }>();

  constructor(private readonly options: SinkPipelineOptions) {
    this.sinkName = options.sink.name;
    this.log = options.logger.child({ sink: this.sinkName });
    this.progress = new ProgressWatch(options.stallTimeoutMs);
  }

  status(): PipelineStatus {
    const stall = this.state === 'running' ? this.progress.stall(Date.now()) : null;
    const joined = this.outOfGroupSince === null;
    const ready = this.state === 'running' && joined && this.retryingBatches === 0 && stall === null;
    let reason: string | null = null;
    if (this.failure) reason = this.failure;
    else if (this.state !== 'running') reason = `pipeline ${this.state}`;
    else if (!joined) reason = 'not a member of its consumer group yet';
    else if (this.retryingBatches > 0) reason = `retrying writes in ${this.retryingBatches} partition(s)`;
    else if (stall !== null) reason = stall;
    return { sink: this.sinkName, state: this.state, ready, reason };
  }

  /**
   * Re-evaluates readiness for the ready gauge: a stall is a matter of time, not of an event. A
   * consumer out of its group for PIPELINE_STALL_TIMEOUT_MS is replaced, as after a crash: seen
   * after a broker restart, kafkajs answered "coordinator loading" to a rejoin and never tried
   * again, so one member of the group stayed out (not ready, reading nothing) for good.
   */
  refreshReadiness(): void {
    const since = this.outOfGroupSince;
    if (this.state === 'running' && since !== null && Date.now() - since >= this.options.stallTimeoutMs) {
      const seconds = Math.round((Date.now() - since) / 1000);
      this.log.error({ seconds }, 'consumer out of its group too long; replacing it');
      this.fail(`consumer out of its consumer group for ${seconds} s`);
      this.options.onConsumerCrash?.();
      return;
    }
    this.updateReadiness();
  }

  private leftGroup(): void {
    this.outOfGroupSince ??= Date.now();
  }

  private updateReadiness(): void {
    this.options.metrics.pipelineReady.set({ sink: this.sinkName }, this.status().ready ? 1 : 0);
  }

  private keepGoing = () => this.state === 'starting' || this.state === 'running';

  async start(): Promise<void> {
    const { sink, consumer, topics, fromBeginning } = this.options;
    await this.connectSink();
    if (!this.keepGoing()) return;
    await consumer.connect();
    await consumer.subscribe(topics, fromBeginning);
    this.state = 'running';
    this.outOfGroupSince = Date.now();
    await consumer.run((batch, control) => this.handleBatch(batch, control), {
      onGroupJoin: () => {
        this.outOfGroupSince = null;
        this.log.info('joined consumer group');
        this.updateReadiness();
      },
      onRebalancing: () => {
        this.leftGroup();
        this.forgetPartitions();
        this.updateReadiness();
      },
      onCrash: (error, willRestart) => {
        // A halted (or stopped) pipeline's own error surfaces here too: it stays down, not relaunched.
        if (!this.keepGoing()) return;
        this.leftGroup();
        this.log.error({ err: error, willRestart }, 'consumer crashed');
        this.updateReadiness();
        if (!willRestart) {
          this.fail(`consumer crashed: ${error.message}`);
          this.options.onConsumerCrash?.();
        }
      },
    });
    this.log.info({ topics: topics.length, target: sink.name }, 'pipeline started');
    this.updateReadiness();
  }

  /**
   * Partitions are being reassigned: their lag is reported by whichever member gets them (left
   * here, the gauge would count them twice across instances), and their progress starts afresh.
   */
  private forgetPartitions(): void {
    for (const labels of this.lagLabels.values())
      this.options.metrics.consumerLag.remove({ sink: this.sinkName, ...labels });
    this.lagLabels.clear();
    this.progress.forget();
  }

  /** A sink that is down at start is waited for (not-ready meanwhile), not a reason to exit. */
  private async connectSink(): Promise<void> {
    const alwaysActive = {
      heartbeat: async () => undefined,
      isActive: () => true,
      commit: async () => undefined,
    };
    await retryUntilDone(() => this.options.sink.connect(), this.options.retry, alwaysActive, {
      onRetry: (error, attempt) =>
        this.log.warn({ attempt, error: errorMessage(error) }, 'sink not reachable yet'),
      keepGoing: this.keepGoing,
    }).catch((error: unknown) => {
      if (!(error instanceof BatchAbandonedError)) throw error;
    });
  }

  async stop(): Promise<void> {
    if (this.state === 'running' || this.state === 'starting') this.state = 'stopped';
    await this.options.consumer.disconnect();
    this.updateReadiness();
  }

  /**
   * Stops this pipeline for good: no further batch is taken, and the consumer leaves its group
   * once the batch in hand has unwound (disconnecting waits for it, so it cannot happen inline).
   */
  private fail(reason: string): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.failure = reason;
    this.updateReadiness();
    setImmediate(() => {
      this.options.consumer.disconnect().catch((error: unknown) => {
        this.log.warn({ error: errorMessage(error) }, 'consumer did not disconnect cleanly');
      });
    });
  }

  private async handleBatch(batch: ConsumedBatch, control: BatchControl): Promise<void> {
    if (!this.keepGoing()) throw new BatchAbandonedError(`pipeline ${this.state}`);
    this.progress.batchStarted(batch.topic, batch.partition, batch.records[0]!.offset, Date.now());
    let lag: bigint;
    try {
      lag = await this.writeAndCommit(batch, control);
    } catch (error) {
      this.progress.batchEnded(batch.topic, batch.partition);
      throw error;
    }
    this.progress.batchCommitted(batch.topic, batch.partition, lag, Date.now());
  }

  /**
   * The writer schemas of the batch's Avro records, fetched before decoding (which stays pure). A
   * registry that cannot answer holds the batch back, retried (and not ready) like a sink outage.
   */
  private async writerSchemasOf(
    batch: ConsumedBatch,
    control: BatchControl,
  ): Promise<WriterSchemas | undefined> {
    const cache = this.options.writerSchemas;
    if (!cache) return undefined;
    return this.retrying(control, batch, () => cache.resolve(batch.records), 'schema-registry');
  }

  /**
   * A TABLES setting the table's columns contradict (a rename onto a column it keeps) fails every
   * event of the table alike: not an event's fault to dead-letter, but a configuration to fix.
   * The pipeline stops, naming it, before anything of the batch is written or committed.
   */
  private plan(events: readonly ChangeEvent[], redecode: Redecode): Plan {
    try {
      return planBatch(events, this.options.router, redecode);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Batches of other partitions, planned at the same time, find the same error: said once.
      if (this.state !== 'failed')
        this.log.error({ reason: error.message }, 'pipeline halted: fix TABLES, then restart');
      this.fail(error.message);
      throw new PipelineHaltedError(error.message);
    }
  }

  /**
   * Decodes the batch and plans its writes; answers the plan and the records that did not decode.
   * Apart from writeAndCommit so that the decoded events, which nothing reads once planned, are
   * not kept until the commit: the upserts keep their documents only until the sink encoded them.
   */
  private decodeAndPlan(
    batch: ConsumedBatch,
    schemas: WriterSchemas | undefined,
    recordAt: (offset: string) => RawRecord,
  ): { plan: Plan; letters: DeadLetter[] } {
    const events: ChangeEvent[] = [];
    const letters: DeadLetter[] = [];
    // Counted per batch, not per record: one labelled update per (table, op) it holds.
    const consumed = new Counts();
    for (const record of batch.records) {
      const decoded = decodeRecord(record, schemas);
      if (decoded.ok) {
        events.push(decoded.event);
        const event = decoded.event;
        if (event.kind === 'tombstone') consumed.add(...topicTable(record.topic), eventOp(event));
        else consumed.add(event.table.schema, event.table.table, eventOp(event));
      } else {
        letters.push({ record, error: decoded.error, sink: this.sinkName });
        consumed.add(...topicTable(batch.topic), 'undecodable');
        this.log.warn(
          {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            error: decoded.error.message,
          },
          'undecodable record',
        );
      }
    }
    consumed.forEach((table, op, count) =>
      this.options.metrics.eventsConsumed.inc({ sink: this.sinkName, table, op }, count),
    );
    const redecode = (at: RecordCoordinates): RowChange => {
      const decoded = decodeRecord(recordAt(at.offset), schemas);
      if (decoded.ok && decoded.event.kind === 'row') return decoded.event;
      throw new Error(`record ${at.topic}/${at.partition}@${at.offset} decoded differently the second time`);
    };
    return { plan: this.plan(events, redecode), letters };
  }

  /** Writes the batch, dead-letters what cannot be written, commits; answers the records left after it. */
  private async writeAndCommit(batch: ConsumedBatch, control: BatchControl): Promise<bigint> {
    const { metrics } = this.options;
    // Only a dead letter, or a document decoded again, needs a record by its offset: indexed on the first one.
    let byOffset: Map<string, RawRecord> | null = null;
    const recordAt = (offset: string): RawRecord =>
      (byOffset ??= new Map(batch.records.map((record) => [record.offset, record]))).get(offset)!;
    const schemas = await this.writerSchemasOf(batch, control);
    const { plan, letters } = this.decodeAndPlan(batch, schemas, recordAt);
    for (const step of plan.steps) {
      if (step.kind === 'write') {
        const written: SinkOp[] = [];
        const failures = await this.writeOps(step.ops, control, written);
        if (step.truncatable.size > 0)
          failures.push(...(await this.undoTruncated(written, step.truncatable, control, batch)));
        for (const failed of failures) {
          // A failed operation that stood for several changes: each of them on its own, in order.
          const parts = step.unfolded.get(failed.op);
          const refused = parts ? await this.writeOneByOne(parts, control) : [failed];
          for (const { op, error } of refused) {
            letters.push({
              record: recordAt(op.event.record.offset),
              error,
              sink: this.sinkName,
              target: op.target,
            });
          }
        }
      } else {
        // Retried while transient; a permanent refusal is dead-lettered like any event, never retried forever.
        const refused = await this.retrying(control, batch, async () => {
          try {
            const { lsn: position, commitTsMs } = step.event.position;
            await this.options.sink.truncate(step.target, { position, commitTsMs });
            return null;
          } catch (error) {
            if (isRetriable(error)) throw error;
            return error as CdcFanoutError;
          }
        });
        const where = { target: step.target, lsn: String(step.event.position.lsn) };
        if (refused === null) {
          this.log.info(where, 'truncate applied');
        } else {
          this.log.error({ ...where, error: refused.message }, 'truncate refused for good');
          letters.push({
            record: recordAt(step.event.record.offset),
            error: refused,
            sink: this.sinkName,
            target: step.target,
          });
        }
      }
    }

    if (letters.length > 0) await this.deadLetter(letters, control, batch);
    await this.retrying(control, batch, () => control.commit());
    const last = batch.records[batch.records.length - 1]!;
    const remaining = BigInt(batch.highWatermark) - BigInt(last.offset) - 1n;
    const lag = remaining > 0n ? remaining : 0n;
    const labels = { topic: batch.topic, partition: String(batch.partition) };
    this.lagLabels.set(`${labels.topic}/${labels.partition}`, labels);
    metrics.consumerLag.set({ sink: this.sinkName, ...labels }, Number(lag));
    this.log.debug(
      {
        topic: batch.topic,
        partition: batch.partition,
        first: batch.records[0]!.offset,
        last: last.offset,
        events: batch.records.length,
        deadLettered: letters.length,
      },
      'batch committed',
    );
    return lag;
  }

  /**
   * Deletes again what was just written from before a TRUNCATE of its table that another
   * partition (or instance) already applied: at the truncate's position, so a later change of the
   * document stays.
   */
  private async undoTruncated(
    written: readonly SinkOp[],
    truncatable: ReadonlySet<string>,
    control: BatchControl,
    batch: ConsumedBatch,
  ): Promise<Array<{ op: SinkOp; error: CdcFanoutError }>> {
    const upserts = written.filter((op) => op.kind === 'upsert' && truncatable.has(op.target));
    if (upserts.length === 0) return [];
    const targets = [...new Set(upserts.map((op) => op.target))];
    const marks = await this.retrying(control, batch, () => this.options.sink.truncateMarks(targets));
    const undo: SinkOp[] = [];
    for (const op of upserts) {
      const mark = marks.get(op.target);
      if (mark && predatesTruncate(op, mark))
        undo.push({ kind: 'delete', target: op.target, id: op.id, position: mark.position, event: op.event });
    }
    if (undo.length === 0) return [];
    this.log.info(
      { targets, documents: undo.length },
      'changes from before a truncate arrived after it: deleted again',
    );
    return this.writeOps(undo, control);
  }

  private async writeOneByOne(
    ops: readonly SinkOp[],
    control: BatchControl,
  ): Promise<Array<{ op: SinkOp; error: CdcFanoutError }>> {
    const failures: Array<{ op: SinkOp; error: CdcFanoutError }> = [];
    for (const op of ops) failures.push(...(await this.writeOps([op], control)));
    return failures;
  }

  /**
   * Writes ops, retrying only those that failed transiently; answers the permanent failures, and
   * adds the operations the sink wrote (not stale) to `written` when given.
   */
  private async writeOps(
    ops: readonly SinkOp[],
    control: BatchControl,
    written?: SinkOp[],
  ): Promise<Array<{ op: SinkOp; error: CdcFanoutError }>> {
    const { sink, metrics } = this.options;
    const permanent: Array<{ op: SinkOp; error: CdcFanoutError }> = [];
    let pending = ops;
    await this.retrying(
      control,
      { topic: ops[0]!.event.record.topic, partition: ops[0]!.event.record.partition },
      async () => {
        const timer = metrics.writeDuration.startTimer({ sink: this.sinkName });
        const results = await sink.write(pending);
        timer();
        const retry: SinkOp[] = [];
        let firstTransient: CdcFanoutError | null = null;
        const now = Date.now();
        const writes = new Counts();
        const latency = new ByTable((table) =>
          metrics.endToEndLatency.labels({ sink: this.sinkName, table }),
        );
        results.forEach((result, index) => {
          const op = pending[index]!;
          if (result.status === 'failed') {
            if (result.error.retriable) {
              retry.push(op);
              firstTransient ??= result.error;
            } else {
              permanent.push({ op, error: result.error });
            }
            return;
          }
          if (result.status === 'written') written?.push(op);
          const { schema, table } = op.event.table;
          writes.add(schema, table, result.status);
          latency.get(schema, table).observe(Math.max(0, now - op.event.position.commitTsMs) / 1000);
        });
        writes.forEach((table, status, count) =>
          metrics.sinkWrites.inc({ sink: this.sinkName, table, result: status }, count),
        );
        pending = retry;
        if (firstTransient) {
          throw new TransientSinkError(
            `${retry.length} of ${results.length} operations failed: ${(firstTransient as CdcFanoutError).message}`,
            firstTransient,
          );
        }
      },
    );
    return permanent;
  }

  private async deadLetter(
    letters: readonly DeadLetter[],
    control: BatchControl,
    batch: ConsumedBatch,
  ): Promise<void> {
    const { deadLetters, metrics } = this.options;
    for (const letter of letters) {
      this.log.warn(
        {
          topic: letter.record.topic,
          partition: letter.record.partition,
          offset: letter.record.offset,
          error: letter.error.name,
          reason: letter.error.message,
        },
        deadLetters
          ? 'event sent to the dead-letter topic'
          : 'event cannot be written and dead-lettering is disabled',
      );
    }
    if (!deadLetters) {
      const first = letters[0]!;
      const reason = `${first.error.name} at ${first.record.topic}/${first.record.partition}@${first.record.offset}: ${first.error.message}`;
      this.fail(`stopped on a permanent failure with DEAD_LETTER_ENABLED=false: ${reason}`);
      this.log.error(
        { reason },
        'pipeline halted: enable the dead-letter topic or fix the event, then restart',
      );
      throw new PipelineHaltedError(reason);
    }
    const stripped = await this.retrying(control, batch, () => deadLetters.send(letters), 'dead-letter');
    for (const { message, valueBytes } of stripped) {
      this.log.warn(
        {
          topic: message.headers[DEAD_LETTER_HEADERS.topic],
          partition: message.headers[DEAD_LETTER_HEADERS.partition],
          offset: message.headers[DEAD_LETTER_HEADERS.offset],
          valueBytes,
          keyOmitted: DEAD_LETTER_HEADERS.keyOmitted in message.headers,
        },
        'dead letter written without its value: too large for the dead-letter topic',
      );
    }
    for (const letter of letters) {
      metrics.deadLetters.inc({ sink: this.sinkName, topic: letter.record.topic, error: letter.error.name });
      metrics.sinkWrites.inc({
        sink: this.sinkName,
        table: qualifiedName(...topicTable(letter.record.topic)),
        result: 'dead_lettered',
      });
    }
  }

  private async retrying<T>(
    control: BatchControl,
    where: { topic: string; partition: number },
    attempt: () => Promise<T>,
    what: string = this.sinkName,
  ): Promise<T> {
    let counted = false;
    try {
      return await retryUntilDone(attempt, this.options.retry, control, {
        onRetry: (error, attemptNumber) => {
          if (!counted) {
            counted = true;
            this.retryingBatches++;
            this.updateReadiness();
          }
          const reason = error instanceof Error ? error.name : 'Error';
          this.options.metrics.retries.inc({ sink: what, reason });
          // Refused credentials need an operator, not patience: said at error level every time.
          this.log[isAccessFailure(error) ? 'error' : 'warn'](
            {
              topic: where.topic,
              partition: where.partition,
              attempt: attemptNumber,
              error: errorMessage(error),
            },
            `${what} failed, retrying`,
          );
        },
        keepGoing: this.keepGoing,
      });
    } finally {
      if (counted) {
        this.retryingBatches--;
        this.updateReadiness();
      }
    }
  }
}
