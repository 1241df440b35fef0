// Elasticsearch sink: one index per table, document id from the primary key, and every write
// versioned externally by the event's LSN, so an older event can never replace a newer document
// (Elasticsearch answers 409, which means "already newer": done). The sink writes to an alias
// (aliases.ts); while a reindex of it runs, every operation is written to the new index too.
import { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import type { DecimalMode } from '../../config/tables.js';
import type { ColumnTypes } from '../../decoder/types.js';
import { type CdcFanoutError, PermanentSinkError, TransientSinkError } from '../../errors.js';
import type { Document } from '../../router/document.js';
import { tableName } from '../../router/router.js';
import {
  withTarget,
  type Sink,
  type SinkOp,
  type SinkOpResult,
  type TruncateMark,
  type UpsertOp,
} from '../sink.js';
import { REINDEX_SUFFIX, combineResults, reindexTargets, versionedIndex } from './aliases.js';
import { bulkLines, chunkBySize } from './bulk-body.js';
import { classifyItem, classifyRequestError, type BulkItemError } from './classify.js';
import {
  type Conflict,
  type KnownMapping,
  diffMapping,
  knownMapping,
  mappingProperties,
  recordMapped,
  wantedFields,
} from './mapping.js';
import { LosslessSerializer } from './serializer.js';
import { hasOwn, setOwn } from '../../decoder/own.js';

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
  readonly bulkMaxBytes: number;
  /** How long a lookup of running reindexes is trusted (ELASTICSEARCH_REINDEX_DISCOVERY_MS). */
  readonly reindexDiscoveryMs: number;
}

/** The settings and mappings of an index the service creates (and of a reindex's new index). */
export function newIndexBody(gcDeletes: string) {
  return {
    settings: { index: { gc_deletes: gcDeletes } },
    mappings: {
      dynamic_templates: [
        // ignore_malformed: a float's NaN or ±Infinity arrives as a string (see util/json.ts).
        { doubles: { match_mapping_type: 'double', mapping: { type: 'double', ignore_malformed: true } } },
        // 'infinity', a BC or a five-digit year: kept in _source (unindexed), never refused.
        { dates: { match_mapping_type: 'date', mapping: { type: 'date', ignore_malformed: true } } },
      ],
    },
  } as const;
}

/** Errors of a create that mean the index or alias is there now (made by another writer). */
const ALREADY_THERE = new Set(['resource_already_exists_exception', 'invalid_alias_name_exception']);

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

/** The outcome of mapping one schema version's fields in one index. */
interface MappingCheck {
  /** Document fields the index maps incompatibly, with the error for documents that fill them. */
  readonly conflicts: ReadonlyMap<string, PermanentSinkError>;
}

const NO_CONFLICTS: MappingCheck = { conflicts: new Map() };

/** What the sink knows of one index's mapping. */
interface IndexMapping {
  /** Its fields by dotted path; null: not read yet (or to be read again). */
  known: KnownMapping | null;
  /** Schema versions (by identity) and decimal modes whose fields are mapped without conflict. */
  readonly mapped: WeakMap<ColumnTypes, Set<DecimalMode>>;
}

function errorType(error: unknown): string | undefined {
  return (error as { body?: { error?: { type?: string } } }).body?.error?.type;
}

/** "type: reason" of an Elasticsearch error response, else the error's message. */
function errorDetail(error: unknown): string {
  const body = (error as { body?: { error?: { type?: string; reason?: string } } }).body?.error;
  if (body?.type) return body.reason ? `${body.type}: ${body.reason}` : body.type;
  return error instanceof Error ? error.message : String(error);
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
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
  private readonly indexMappings = new Map<string, IndexMapping>();
  private readonly log: Logger;
  private readonly maxBulkBytes: number;
  /** The server's http.max_content_length, once read: no request body may be larger. */
  private serverMaxContentLength: number | null = null;
  /** The running reindexes (reindex alias by the alias it rebuilds) as last looked up, and when. */
  private reindexes: { readonly targets: ReadonlyMap<string, string>; readonly atMs: number } | null = null;
  private reindexLookup: Promise<ReadonlyMap<string, string>> | null = null;

  constructor(
    private readonly client: Client,
    private readonly options: ElasticsearchSinkOptions,
  ) {
    this.log = options.logger.child({ sink: this.name });
    this.maxBulkBytes = options.bulkMaxBytes;
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
   * Creates the index the first time it is written, as `<index>-v1` behind the alias `<index>`
   * (so a reindex can replace it without downtime), with deletes remembered long enough to guard
   * against late events, and floats mapped as double (a dynamic float would reject 1e300).
   * An index or alias of that name already there is used as it is. A reindex target (`create`
   * false) is never created: if it is gone, its reindex ended and the write goes to the alias.
   * Columns with a declared type get explicit mappings before their first document (see
   * ensureMappings); the dynamic template covers messages without a schema.
   */
  private async prepareIndex(index: string, create = true): Promise<void> {
    if (this.preparedIndices.has(index)) return;
    let known: KnownMapping | null = null;
    let exists: boolean;
    try {
      exists = await this.client.indices.exists({ index });
    } catch (error) {
      throw classifyRequestError(error);
    }
    if (!exists && !create) {
      this.reindexes = null;
      throw new TransientSinkError(
        `elasticsearch reindex target ${index} is gone: written again through the alias`,
      );
    }
    if (!exists) {
      const concrete = versionedIndex(index, 1);
      try {
        await this.client.indices.create({
          index: concrete,
          aliases: { [index]: { is_write_index: true } },
          ...newIndexBody(this.options.gcDeletes),
        } as never);
        this.log.info({ index, concrete }, 'index created');
        known = new Map();
      } catch (error) {
        if (!ALREADY_THERE.has(errorType(error) ?? '')) throw classifyRequestError(error);
        // A write to a missing alias would create a plain index of that name: never write then.
        if (!(await this.client.indices.exists({ index }).catch(() => false)))
          throw new TransientSinkError(
            `elasticsearch index ${concrete} exists but the alias ${index} does not: add the alias (POST _aliases) or delete ${concrete}`,
          );
      }
    }
    this.indexMappings.set(index, { known, mapped: new WeakMap() });
    this.preparedIndices.add(index);
  }

  /**
   * The running reindexes, looked up again once the last lookup is older than the discovery
   * interval. Looked up before a batch is written (never in the background), so an instance
   * writes to a reindex target at most one interval after it appeared, however idle it was.
   */
  private async currentReindexes(): Promise<ReadonlyMap<string, string>> {
    const known = this.reindexes;
    if (known && Date.now() - known.atMs < this.options.reindexDiscoveryMs) return known.targets;
    this.reindexLookup ??= this.lookUpReindexes().finally(() => (this.reindexLookup = null));
    return this.reindexLookup;
  }

  private async lookUpReindexes(): Promise<ReadonlyMap<string, string>> {
    const startedAt = Date.now();
    let rows: unknown;
    try {
      rows = await this.client.cat.aliases({ name: `*${REINDEX_SUFFIX}`, format: 'json', h: 'alias' });
    } catch (error) {
      throw classifyRequestError(error);
    }
    const targets = reindexTargets(rows as Array<{ alias?: string }>);
    const before = this.reindexes?.targets ?? new Map<string, string>();
    for (const [index, alias] of before) {
      if (targets.get(index) === alias) continue;
      // The alias may front another index now: its mapping is read again.
      this.forgetIndex(index);
      this.forgetIndex(alias);
      this.log.info({ index }, 'reindex ended: written through the alias alone');
    }
    for (const [index, alias] of targets) {
      if (before.get(index) !== alias)
        this.log.info({ index, reindex: alias }, 'reindex found: written to both');
    }
    this.reindexes = { targets, atMs: startedAt };
    return targets;
  }

  /** Forgets an index that turned out not to exist (deleted by hand): the next write recreates it. */
  private forgetIndex(index: string): void {
    this.preparedIndices.delete(index);
    this.indexMappings.delete(index);
  }

  private async readMapping(index: string): Promise<KnownMapping> {
    try {
      return knownMapping(await this.client.indices.getMapping({ index }));
    } catch (error) {
      throw this.mappingRequestError(index, error);
    }
  }

  private mappingRequestError(index: string, error: unknown): CdcFanoutError {
    if (statusOf(error) === 404) {
      this.forgetIndex(index);
      return new TransientSinkError(`elasticsearch index ${index} disappeared; it is created again`, error);
    }
    return classifyRequestError(error);
  }

  /**
   * Puts explicit mappings for the fields of one schema version (PUT _mapping adds fields and is
   * idempotent) unless this index already has them. Fields the index maps otherwise (an index
   * made by an older version, by hand or by a template) are not touched: the check names them,
   * and documents with a value there fail for good instead of being refused or truncated by
   * Elasticsearch. Only conflict-free outcomes are cached, so a fixed index is seen at once.
   */
  private async ensureMappings(index: string, op: UpsertOp, columns: ColumnTypes): Promise<MappingCheck> {
    const decimal = op.decimal ?? 'string';
    const state = this.indexMappings.get(index);
    if (state === undefined) throw new TransientSinkError(`elasticsearch index ${index} is not prepared`);
    if (state.mapped.get(columns)?.has(decimal)) return NO_CONFLICTS;
    const fieldOf = (column: string) => op.renames?.get(column) ?? column;
    const wanted = wantedFields(
      columns,
      decimal,
      (column) => hasOwn(op.document, fieldOf(column)) || op.unchangedColumns.includes(fieldOf(column)),
      fieldOf,
    );
    let check = NO_CONFLICTS;
    if (wanted.length > 0) {
      state.known ??= await this.readMapping(index);
      let { missing, conflicts } = diffMapping(wanted, state.known);
      if (missing.length > 0) {
        try {
          await this.client.indices.putMapping({ index, properties: mappingProperties(missing) as never });
          recordMapped(state.known, missing);
          this.log.info(
            { index, fields: Object.fromEntries(missing.map((field) => [field.path, field.type])) },
            'fields mapped',
          );
        } catch (error) {
          if (statusOf(error) !== 400) throw this.mappingRequestError(index, error);
          // Most likely a document mapped the field first (another writer): read what it is now.
          state.known = await this.readMapping(index);
          ({ missing, conflicts } = diffMapping(wanted, state.known));
          if (missing.length > 0) {
            throw new PermanentSinkError(
              `elasticsearch index ${index} refused mappings for ${missing.map((f) => `${f.path} (${f.type})`).join(', ')}: ${errorDetail(error)}`,
              error,
            );
          }
        }
      }
      if (conflicts.length > 0) check = this.conflictCheck(index, op, conflicts);
    }
    if (check === NO_CONFLICTS) {
      let modes = state.mapped.get(columns);
      if (modes === undefined) state.mapped.set(columns, (modes = new Set()));
      modes.add(decimal);
    } else {
      state.known = null;
    }
    return check;
  }

  private conflictCheck(index: string, op: UpsertOp, conflicts: readonly Conflict[]): MappingCheck {
    const byField = new Map<string, PermanentSinkError>();
    const table = tableName(op.event.table);
    for (const { field, path, existing } of conflicts) {
      if (byField.has(field.field)) continue;
      const declared = op.event.columnTypes?.get(field.column);
      const what = declared?.type
        ? `${declared.type}${declared.logical ? ` (${declared.logical})` : ''}`
        : 'typed';
      const where = path === field.path ? `field "${path}"` : `field "${path}" (enclosing "${field.path}")`;
      const column =
        field.field === field.column ? field.column : `${field.column} (stored as "${field.field}")`;
      byField.set(
        field.field,
        new PermanentSinkError(
          `elasticsearch index ${index} maps ${where} as ${existing}, but column ${column} of table ${table} is ${what} and needs ${field.type} at "${field.path}": the document would be refused or its value truncated. Reindex into an index that maps "${field.path}" as ${field.type} (or delete the index and resync the table).`,
        ),
      );
    }
    this.log.error(
      {
        index,
        table,
        conflicts: conflicts.map((c) => ({ field: c.field.path, mapped: c.existing, needs: c.field.type })),
      },
      'index maps fields incompatibly with the table schema; documents with values there are dead-lettered',
    );
    return { conflicts: byField };
  }

  /** The mapping error for this document, or null when it may be written. */
  private static conflictFor(op: UpsertOp, check: MappingCheck): PermanentSinkError | null {
    if (check.conflicts.size === 0) return null;
    for (const [field, error] of check.conflicts) {
      const value = hasOwn(op.document, field) ? op.document[field] : undefined;
      if ((value !== undefined && value !== null) || op.unchangedColumns.includes(field)) return error;
    }
    return null;
  }

  async write(all: readonly SinkOp[]): Promise<SinkOpResult[]> {
    let reindexes: ReadonlyMap<string, string>;
    try {
      reindexes = await this.currentReindexes();
    } catch (error) {
      const failure: SinkOpResult = { status: 'failed', error: error as CdcFanoutError };
      return all.map(() => failure);
    }
    // During a reindex, each operation on its alias is written to the new index as well.
    const copyOf: number[] = [];
    const copies: SinkOp[] = [];
    all.forEach((op, index) => {
      const target = reindexes.get(op.target);
      if (target === undefined) return;
      copyOf.push(index);
      copies.push(withTarget(op, target));
    });
    if (copies.length === 0) return this.writeOps(all, copyOf);
    const results = await this.writeOps([...all, ...copies], copyOf);
    const combined = results.slice(0, all.length);
    copyOf.forEach((of, position) => {
      combined[of] = combineResults(combined[of]!, results[all.length + position]!);
    });
    return combined;
  }

  /**
   * Writes `all`, whose last `copyOf.length` operations are the reindex copies of the operations
   * at those positions: a copy takes its document from the operation it copies (the stored TOAST
   * columns are read from the alias, the complete index), and fails with it.
   */
  private async writeOps(all: readonly SinkOp[], copyOf: readonly number[]): Promise<SinkOpResult[]> {
    const results: SinkOpResult[] = new Array(all.length);
    const mainCount = all.length - copyOf.length;
    const failed = await this.prepare(all, new Set(all.slice(mainCount).map((op) => op.target)));
    copyOf.forEach((of, position) => {
      const error = failed.get(of);
      if (error) failed.set(mainCount + position, error);
    });
    const ops: SinkOp[] = [];
    const positions: number[] = [];
    all.forEach((op, index) => {
      const error = failed.get(index);
      if (error) {
        results[index] = { status: 'failed', error };
      } else {
        ops.push(op);
        positions.push(index);
      }
    });
    if (ops.length === 0) return results;
    const mains = positions.filter((index) => index < mainCount);
    let documents: Array<Document | null>;
    try {
      const stored = await this.withStoredColumns(mains.map((index) => all[index]!));
      const byPosition = new Map(mains.map((index, at) => [index, stored[at] ?? null]));
      documents = positions.map(
        (index) => byPosition.get(index < mainCount ? index : copyOf[index - mainCount]!) ?? null,
      );
    } catch (error) {
      const failure: SinkOpResult = { status: 'failed', error: classifyRequestError(error) };
      for (const index of positions) results[index] = failure;
      return results;
    }
    const copies = new Set(positions.flatMap((index, at) => (index >= mainCount ? [at] : [])));
    const lines = ops.map((op, index) => bulkLines(op, documents[index] ?? null, copies.has(index)));
    // The lines are what is sent, again too: a retry reads the documents again.
    for (const op of ops) if (op.kind === 'upsert') op.release?.();
    const written: SinkOpResult[] = new Array(lines.length);
    for (const chunk of chunkBySize(lines, this.chunkBytes())) {
      await this.sendChunk(chunk, lines, written, copies);
    }
    positions.forEach((index, position) => (results[index] = written[position]!));
    return results;
  }

  /**
   * Creates the batch's indices and maps the fields its documents' schemas declare. Answers the
   * operations that cannot be written (by position): every operation of an index that could not
   * be prepared, and documents with a value in a field the index maps incompatibly.
   */
  private async prepare(
    ops: readonly SinkOp[],
    reindexTargets: ReadonlySet<string>,
  ): Promise<Map<number, CdcFanoutError>> {
    const failed = new Map<number, CdcFanoutError>();
    const indexErrors = new Map<string, CdcFanoutError>();
    for (const index of new Set(ops.map((op) => op.target))) {
      try {
        await this.prepareIndex(index, !reindexTargets.has(index));
      } catch (error) {
        indexErrors.set(index, error as CdcFanoutError);
      }
    }
    // One check per index and schema version (and decimal mode) in the batch.
    const checks = new Map<string, WeakMap<ColumnTypes, Map<DecimalMode, MappingCheck | CdcFanoutError>>>();
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const indexError = indexErrors.get(op.target);
      if (indexError) {
        failed.set(i, indexError);
        continue;
      }
      const columns = op.event.columnTypes;
      if (op.kind !== 'upsert' || !columns) continue;
      const decimal = op.decimal ?? 'string';
      let byColumns = checks.get(op.target);
      if (byColumns === undefined) checks.set(op.target, (byColumns = new WeakMap()));
      let byMode = byColumns.get(columns);
      if (byMode === undefined) byColumns.set(columns, (byMode = new Map()));
      let check = byMode.get(decimal);
      if (check === undefined) {
        try {
          check = await this.ensureMappings(op.target, op, columns);
        } catch (error) {
          check = error as CdcFanoutError;
        }
        byMode.set(decimal, check);
      }
      const error = 'conflicts' in check ? ElasticsearchSink.conflictFor(op, check) : check;
      if (error) failed.set(i, error);
    }
    return failed;
  }

  private async sendChunk(
    chunk: number[],
    lines: readonly string[],
    results: SinkOpResult[],
    copies: ReadonlySet<number>,
  ): Promise<void> {
    let items: Array<Record<string, BulkResponseItem>>;
    const body = chunk.map((index) => lines[index]).join('');
    try {
      // Only what is read back: the full answer repeats index, id, version and shards per item.
      const response = await this.client.bulk({
        body,
        filter_path: 'items.*.status,items.*.error',
      } as never);
      items = response.items as unknown as Array<Record<string, BulkResponseItem>>;
    } catch (error) {
      let failure = classifyRequestError(error);
      const status = (error as { statusCode?: number }).statusCode;
      if (status === CONTENT_TOO_LARGE && chunk.length > 1) {
        // Too large as a whole: halve until each part fits or a single document is the culprit.
        const middle = Math.ceil(chunk.length / 2);
        await this.sendChunk(chunk.slice(0, middle), lines, results, copies);
        await this.sendChunk(chunk.slice(middle), lines, results, copies);
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
      } else if (copies.has(opIndex) && outcome.error?.type === 'index_not_found_exception') {
        // The reindex ended since the lookup: the write goes again, through the alias that
        // may front the new index by now.
        this.reindexes = null;
        results[opIndex] = {
          status: 'failed',
          error: new TransientSinkError(
            `elasticsearch reindex target is gone (${outcome.error.reason ?? 'index not found'}): written again through the alias`,
          ),
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

  async truncate(target: string, mark: TruncateMark): Promise<void> {
    await this.truncateIndex(target, mark, true);
    // A reindex's new index is truncated too: its backfill may have copied rows from before.
    const copy = (await this.currentReindexes()).get(target);
    if (copy !== undefined) await this.truncateIndex(copy, mark, false);
  }

  private async truncateIndex(target: string, mark: TruncateMark, create: boolean): Promise<void> {
    const { position } = mark;
    try {
      await this.prepareIndex(target, create);
      await this.recordTruncateMark(target, mark);
      // The scroll sees only what a refresh made visible: documents written just before would survive.
      await this.client.indices.refresh({ index: target });
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

  /** The mark lives in the index's mapping `_meta`, beside whatever else is kept there. */
  private async recordTruncateMark(index: string, mark: TruncateMark): Promise<void> {
    const mappings = await this.client.indices.getMapping({ index });
    const meta = Object.values(mappings)[0]?.mappings?._meta ?? {};
    const current = truncateMarkIn(meta);
    if (current && current.position >= mark.position) return;
    await this.client.indices.putMapping({
      index,
      _meta: {
        ...meta,
        [TRUNCATE_META]: { position: mark.position.toString(), commit_ts_ms: mark.commitTsMs },
      },
    });
  }

  async truncateMarks(targets: readonly string[]): Promise<Map<string, TruncateMark>> {
    const marks = new Map<string, TruncateMark>();
    try {
      // One request per target: the answer is keyed by concrete index, not by the alias asked.
      for (const target of targets) {
        const mappings = await this.client.indices.getMapping({
          index: target,
          ignore_unavailable: true,
          allow_no_indices: true,
        });
        for (const { mappings: mapping } of Object.values(mappings)) {
          const mark = truncateMarkIn(mapping?._meta);
          const known = marks.get(target);
          if (mark && (!known || mark.position > known.position)) marks.set(target, mark);
        }
      }
    } catch (error) {
      throw classifyRequestError(error);
    }
    return marks;
  }
}

/** The `_meta` key of an index's truncate mark (its position a string: 64 bits). */
const TRUNCATE_META = 'cdc_fanout_truncate';

/** The truncate mark kept in an index mapping's `_meta`, if there is one. */
function truncateMarkIn(meta: unknown): TruncateMark | undefined {
  const stored = (meta as Record<string, unknown> | undefined)?.[TRUNCATE_META] as
    { position?: unknown; commit_ts_ms?: unknown } | undefined;
  if (typeof stored?.position !== 'string' || typeof stored.commit_ts_ms !== 'number') return undefined;
  return { position: BigInt(stored.position), commitTsMs: stored.commit_ts_ms };
}
