// Rebuilds one table's documents in one sink from a consistent Postgres snapshot, safely while the
// service runs. Every write carries a position below any change the snapshot lacks (position.ts),
// so the stream always overtakes it: a document the stream wrote after the snapshot is kept
// (stale), any other one is rewritten. Then, outside the snapshot, every document whose row is
// gone now is deleted: a row deleted after the snapshot may have had its document deleted by the
// stream before resync's page wrote it again, and neither sink remembers a delete for ever
// (MongoDB drops the document with its position, Elasticsearch forgets after index.gc_deletes).
import pRetry from 'p-retry';
import type pg from 'pg';
import type { ColumnTypes, RowChange } from '../decoder/types.js';
import { TransientSinkError, type CdcFanoutError } from '../errors.js';
import { declaredColumnTypes } from '../postgres/column-types.js';
import { quoteIdent } from '../postgres/row-values.js';
import { existingIds, withTableSnapshot, type SourceRow } from '../postgres/table-reader.js';
import { toDocument } from '../router/document.js';
import type { TableRoute } from '../router/router.js';
import type { Sink, SinkOp } from '../sinks/sink.js';
import type { SinkReader } from '../verify/sink-readers.js';
import { settledPosition, type SettleProgress } from './position.js';

export interface ResyncProgress {
  readonly done: number;
  readonly total: number;
}

export interface ResyncResult {
  readonly position: bigint;
  readonly rows: number;
  readonly written: number;
  /** Documents the stream had already written at a later position: kept as they are. */
  readonly stale: number;
  readonly deleted: number;
  readonly failures: Array<{ id: string; error: string }>;
}

export interface ResyncOptions {
  /** Called while resync waits for transactions that were open when it read its position. */
  readonly onWait?: (progress: SettleProgress) => void;
  readonly pageSize?: number;
  readonly onProgress?: (progress: ResyncProgress) => void;
  /** Attempts for a transiently failing write before resync gives up (it is a one-off tool). */
  readonly retries?: number;
  /**
   * Go on after this primary key (SourceRow.cursor) instead of from the first row: for a caller
   * that wrote the rows up to it before and keeps them current otherwise (reindex's dual write).
   */
  readonly after?: readonly string[];
  /** Called after each page is written, with the key of its last row. */
  readonly onPage?: (cursor: readonly string[], rows: number) => Promise<void>;
}

function snapshotEvent(
  route: TableRoute,
  source: SourceRow | null,
  id: string,
  position: bigint,
  columnTypes: ColumnTypes,
): RowChange {
  const [schema = '', table = ''] = route.table.split('.');
  return {
    kind: 'row',
    op: source ? 'r' : 'd',
    table: { database: '', schema, table },
    key: source?.key ?? { columns: [], id },
    before: null,
    after: source?.row ?? null,
    unchangedColumns: [],
    columnTypes,
    position: { lsn: position, commitTsMs: Date.now(), txId: null, snapshot: true },
    record: { topic: 'resync', partition: -1, offset: '-1' },
  };
}

async function writeAll(sink: Sink, ops: readonly SinkOp[], retries: number) {
  const outcome = { written: 0, stale: 0, failures: [] as Array<{ id: string; error: string }> };
  let pending = ops;
  await pRetry(
    async () => {
      const results = await sink.write(pending);
      const retry: SinkOp[] = [];
      let transient: CdcFanoutError | null = null;
      results.forEach((result, index) => {
        const op = pending[index]!;
        if (result.status === 'written') outcome.written++;
        else if (result.status === 'stale') outcome.stale++;
        else if (result.error.retriable) {
          retry.push(op);
          transient = result.error;
        } else outcome.failures.push({ id: op.id, error: result.error.message });
      });
      pending = retry;
      if (transient)
        throw new TransientSinkError(`${retry.length} writes failed: ${(transient as Error).message}`);
    },
    { retries, minTimeout: 200, maxTimeout: 10_000, randomize: true },
  );
  return outcome;
}

export async function resyncTable(
  client: pg.ClientBase,
  sink: Sink,
  reader: SinkReader,
  route: TableRoute,
  options: ResyncOptions,
): Promise<ResyncResult> {
  const [schema = '', table = ''] = route.table.split('.');
  const retries = options.retries ?? 10;
  const position = await settledPosition(client, options.onWait);
  const { result, info, columnTypes } = await withTableSnapshot(client, schema, table, async (snapshot) => {
    // The types the stream's events declare, so that a sink maps the fields the same way.
    const columnTypes = declaredColumnTypes(snapshot.info);
    const key = snapshot.info.primaryKey;
    const keyTypes = key.map((name) => snapshot.info.columns.find((column) => column.name === name)!.sqlType);
    const { rows } = await client.query<{ count: string }>(
      `SELECT count(*)::text AS count FROM ${quoteIdent(schema)}.${quoteIdent(table)}${
        options.after
          ? ` WHERE (${key.map(quoteIdent).join(', ')}) > (${keyTypes.map((type, at) => `$${at + 1}::${type}`).join(', ')})`
          : ''
      }`,
      options.after ? [...options.after] : [],
    );
    const total = Number(rows[0]!.count);
    const result = {
      position,
      rows: 0,
      written: 0,
      stale: 0,
      deleted: 0,
      failures: [] as ResyncResult['failures'],
    };
    const tally = (outcome: Awaited<ReturnType<typeof writeAll>>) => {
      result.written += outcome.written;
      result.stale += outcome.stale;
      result.failures.push(...outcome.failures);
    };
    options.onProgress?.({ done: 0, total });
    for await (const page of snapshot.pages(options.pageSize, options.after)) {
      const ops: SinkOp[] = page.map((source) => ({
        kind: 'upsert',
        target: route.target,
        id: source.id,
        position,
        document: toDocument(source.row, route),
        unchangedColumns: [],
        decimal: route.decimal,
        ...(route.rename ? { renames: route.rename } : {}),
        event: snapshotEvent(route, source, source.id, position, columnTypes),
      }));
      tally(await writeAll(sink, ops, retries));
      result.rows += page.length;
      // Never past a row that failed: a caller going on from the cursor would skip it.
      if (result.failures.length === 0) await options.onPage?.(page[page.length - 1]!.cursor, result.rows);
      options.onProgress?.({ done: result.rows, total });
    }
    return { result, info: snapshot.info, columnTypes };
  });
  // Read now, not in the snapshot: a row deleted since is gone, one inserted since is there. The
  // deletes go just above resync's own writes, which is still no higher than any change the stream
  // made since the snapshot (all at or above it, see position.ts): those documents stay.
  const sweep = position + 1n;
  for await (const ids of reader.ids(route.target)) {
    const present = await existingIds(client, info, ids);
    const deletes: SinkOp[] = ids
      .filter((id) => !present.has(id))
      .map((id) => ({
        kind: 'delete',
        target: route.target,
        id,
        position: sweep,
        event: snapshotEvent(route, null, id, sweep, columnTypes),
      }));
    if (deletes.length === 0) continue;
    const outcome = await writeAll(sink, deletes, retries);
    result.deleted += outcome.written;
    result.stale += outcome.stale;
    result.failures.push(...outcome.failures);
  }
  return result;
}
