// Elasticsearch sink: one index per table, document id from the primary key, and every write
// versioned externally by the event's LSN, so an older event can never replace a newer document
// (Elasticsearch answers 409, which means "already newer": done).
import { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { PermanentSinkError } from '../../errors.js';
import type { Document } from '../../router/document.js';
import type { Sink, SinkOp, SinkOpResult, UpsertOp } from '../sink.js';
import { bulkLines, chunkBySize } from './bulk-body.js';
import { classifyItem, classifyRequestError, type BulkItemError } from './classify.js';
import { LosslessSerializer } from './serializer.js';
import { setOwn } from '../../decoder/own.js';

export interface ElasticsearchSinkOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly apiKey: string;
  readonly requestTimeoutMs: number;
  readonly gcDeletes: string;
  readonly logger: Logger;
  /**
   * Largest bulk request body (ELASTICSEARCH_BULK_MAX_BYTES). Elasticsearch refuses bodies over its
   * http.max_content_length with 413; the sink also caps chunks at that limit once it read it.
   */
  readonly bulkMaxBytes?: number;
}

interface BulkResponseItem {
  readonly status: number;
  readonly error?: BulkItemError;
}

const VERSION_CONFLICT = 409;
const CONTENT_TOO_LARGE = 413;

/** The smallest http.max_content_length of the nodes in a `GET _nodes/http` answer, or null. */
export function smallestMaxContentLength(info: unknown): number | null {
  const nodes = (info as { nodes?: Record<string, { http?: { max_content_length_in_bytes?: unknown } }> })
    ?.nodes;
  const limits = Object.values(nodes ?? {})
    .map((node) => Number(node?.http?.max_content_length_in_bytes))
    .filter((limit) => Number.isSafeInteger(limit) && limit > 0);
  return limits.length > 0 ? Math.min(...limits) : null;
}

export function createElasticsearchClient(options: ElasticsearchSinkOptions): Client {
  let auth: { apiKey: string } | { username: string; password: string } | undefined;
  if (options.apiKey) auth = { apiKey: options.apiKey };
  else if (options.username) auth = { username: options.username, password: options.password };
  return new Client({
    node: options.url,
    ...(auth ? { auth } : {}),
    requestTimeout: options.requestTimeoutMs,
    // Our pipeline retries with its own backoff; the client's quick retries would only hide outages.
    maxRetries: 0,
    compression: false,
    Serializer: LosslessSerializer,
  });
}

export class ElasticsearchSink implements Sink {
  readonly name = 'elasticsearch' as const;
  private readonly preparedIndices = new Set<string>();
  private readonly log: Logger;
  private readonly maxBulkBytes: number;
  /** The server's http.max_content_length, once read: no request body may be larger. */
  private serverMaxContentLength: number | null = null;

  constructor(
    private readonly client: Client,
    private readonly options: ElasticsearchSinkOptions,
  ) {
    this.log = options.logger.child({ sink: this.name });
    this.maxBulkBytes = options.bulkMaxBytes ?? 8 * 1024 * 1024;
  }

  async connect(): Promise<void> {
    try {
      await this.client.cluster.health({ timeout: '5s' });
    } catch (error) {
      throw classifyRequestError(error);
    }
    await this.readServerLimit();
  }

  /**
   * Reads the nodes' http.max_content_length, to keep bulk requests below it and name it when a
   * document is refused. Best effort: without the monitor privilege the 413 answer still splits
   * the request and dead-letters a single document that is too large.
   */
  private async readServerLimit(): Promise<void> {
    try {
      const info = await this.client.nodes.info(
        { metric: 'http', filter_path: 'nodes.*.http.max_content_length_in_bytes' },
        { requestTimeout: 5000 },
      );
      const limit = smallestMaxContentLength(info);
      if (limit === null) return;
      this.serverMaxContentLength = limit;
      if (this.maxBulkBytes >= limit) {
        this.log.warn(
          { bulkMaxBytes: this.maxBulkBytes, maxContentLength: limit },
          "ELASTICSEARCH_BULK_MAX_BYTES is not below the server's http.max_content_length: bulk requests are capped at the server's limit",
        );
      } else {
        this.log.debug(
          { bulkMaxBytes: this.maxBulkBytes, maxContentLength: limit },
          'bulk request size limits',
        );
      }
    } catch (error) {
      this.log.warn(
        { error: classifyRequestError(error).message },
        'cannot read http.max_content_length (GET _nodes/http); requests over it are split on 413',
      );
    }
  }

  /** Largest bulk body to build: the configured size, never over the server's limit. */
  private chunkBytes(): number {
    return Math.min(this.maxBulkBytes, this.serverMaxContentLength ?? Number.MAX_SAFE_INTEGER);
  }

  async ping(): Promise<boolean> {
    try {
      await this.client.cluster.health({ timeout: '2s' }, { requestTimeout: 3000 });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /**
   * Creates the index the first time it is written, with deletes remembered long enough to
   * guard against late events, and floats mapped as double (a dynamic float would reject 1e300).
   */
  private async prepareIndex(index: string): Promise<void> {
    if (this.preparedIndices.has(index)) return;
    try {
      await this.client.indices.create({
        index,
        settings: { index: { gc_deletes: this.options.gcDeletes } },
        mappings: {
          dynamic_templates: [{ doubles: { match_mapping_type: 'double', mapping: { type: 'double' } } }],
        },
      });
      this.log.info({ index }, 'index created');
    } catch (error) {
      const type = (error as { body?: { error?: { type?: string } } }).body?.error?.type;
      if (type !== 'resource_already_exists_exception') throw classifyRequestError(error);
    }
    this.preparedIndices.add(index);
  }

  async write(ops: readonly SinkOp[]): Promise<SinkOpResult[]> {
    const results: SinkOpResult[] = new Array(ops.length);
    try {
      for (const index of new Set(ops.map((op) => op.target))) await this.prepareIndex(index);
    } catch (error) {
      const failure: SinkOpResult = { status: 'failed', error: error as PermanentSinkError };
      return ops.map(() => failure);
    }
    let documents: Array<Document | null>;
    try {
      documents = await this.withStoredColumns(ops);
    } catch (error) {
      const failure: SinkOpResult = { status: 'failed', error: classifyRequestError(error) };
      return ops.map(() => failure);
    }
    const lines = ops.map((op, index) => bulkLines(op, documents[index] ?? null));
    for (const chunk of chunkBySize(lines, this.chunkBytes())) {
      await this.sendChunk(chunk, lines, results);
    }
    return results;
  }

  private async sendChunk(chunk: number[], lines: readonly string[], results: SinkOpResult[]): Promise<void> {
    let items: Array<Record<string, BulkResponseItem>>;
    const body = chunk.map((index) => lines[index]).join('');
    try {
      const response = await this.client.bulk({ body } as never);
      items = response.items as unknown as Array<Record<string, BulkResponseItem>>;
    } catch (error) {
      let failure = classifyRequestError(error);
      const status = (error as { statusCode?: number }).statusCode;
      if (status === CONTENT_TOO_LARGE && chunk.length > 1) {
        // Too large as a whole: halve until each part fits or a single document is the culprit.
        const middle = Math.ceil(chunk.length / 2);
        await this.sendChunk(chunk.slice(0, middle), lines, results);
        await this.sendChunk(chunk.slice(middle), lines, results);
        return;
      }
      if (status === CONTENT_TOO_LARGE) {
        // One document alone is over the limit: it can never be written (a permanent failure).
        const limit = this.serverMaxContentLength;
        failure = new PermanentSinkError(
          `elasticsearch document too large: its bulk request is ${Buffer.byteLength(body)} bytes, refused with 413 (limit: http.max_content_length ${limit === null ? 'of the server or a proxy' : `${limit} bytes`})`,
          error,
        );
      }
      for (const index of chunk) results[index] = { status: 'failed', error: failure };
      return;
    }
    chunk.forEach((opIndex, position) => {
      const item = items[position];
      const outcome = item ? Object.values(item)[0] : undefined;
      if (!outcome) {
        results[opIndex] = {
          status: 'failed',
          error: new PermanentSinkError('elasticsearch returned no result for the operation'),
        };
      } else if (outcome.status < 300 || (outcome.status === 404 && 'delete' in item!)) {
        results[opIndex] = { status: 'written' };
      } else if (outcome.status === VERSION_CONFLICT) {
        results[opIndex] = { status: 'stale' };
      } else {
        results[opIndex] = { status: 'failed', error: classifyItem(outcome.status, outcome.error) };
      }
    });
  }

  /**
   * For updates that could not read some TOASTed columns, takes those columns from the stored
   * document, so the full index write keeps them. A document the sink never had keeps them unset.
   */
  private async withStoredColumns(ops: readonly SinkOp[]): Promise<Array<Document | null>> {
    const documents = ops.map((op) => (op.kind === 'upsert' ? op.document : null));
    const partial = ops.flatMap((op, index) =>
      op.kind === 'upsert' && op.unchangedColumns.length > 0 ? [{ op, index }] : [],
    );
    if (partial.length === 0) return documents;
    const response = await this.client.mget<Document>({
      docs: partial.map(({ op }) => ({
        _index: op.target,
        _id: op.id,
        _source: { includes: [...(op as UpsertOp).unchangedColumns] },
      })),
    });
    partial.forEach(({ op, index }, position) => {
      const found = response.docs[position] as { found?: boolean; _source?: Document } | undefined;
      const upsert = op as UpsertOp;
      const merged: Document = { ...upsert.document };
      for (const column of upsert.unchangedColumns) {
        const stored = found?._source?.[column];
        if (stored !== undefined) setOwn(merged, column, stored);
      }
      if (!found?.found) {
        this.log.warn(
          { index: op.target, id: op.id, columns: upsert.unchangedColumns },
          'unchanged TOAST columns have no stored value to keep; written without them',
        );
      }
      documents[index] = merged;
    });
    return documents;
  }

  async truncate(target: string, position: bigint): Promise<void> {
    try {
      await this.prepareIndex(target);
      let response = await this.client.search({ index: target, scroll: '1m', size: 1000, _source: false });
      try {
        while (response.hits.hits.length > 0) {
          const body = response.hits.hits
            .map(
              (hit) =>
                `{"delete":{"_index":${JSON.stringify(target)},"_id":${JSON.stringify(hit._id)},"version":${position},"version_type":"external"}}\n`,
            )
            .join('');
          const result = await this.client.bulk({ body } as never);
          const failed = result.items.find((item) => {
            const status = item.delete?.status ?? 0;
            return status >= 300 && status !== 404 && status !== VERSION_CONFLICT;
          });
          if (failed) throw classifyItem(failed.delete!.status, failed.delete!.error as BulkItemError);
          response = await this.client.scroll({ scroll_id: response._scroll_id!, scroll: '1m' });
        }
      } finally {
        if (response._scroll_id)
          await this.client.clearScroll({ scroll_id: response._scroll_id }).catch(() => undefined);
      }
    } catch (error) {
      throw error instanceof PermanentSinkError || (error as { retriable?: boolean }).retriable !== undefined
        ? error
        : classifyRequestError(error);
    }
  }
}
