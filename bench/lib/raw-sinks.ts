// The sinks' own ceiling: documents of the demo tables, built from Postgres rows by the same code
// the service and verify use (toDocument, toStoredForm), written straight to Elasticsearch with
// _bulk (the sink's NDJSON lines and size chunks) and to MongoDB with the sink's guarded write (an
// unordered `update` command of replace upserts filtered on _id and a position stored before theirs,
// no read, encoded and sent as the sink sends it), in batches like the ones the service gets from Kafka. No
// Kafka, no decoding. An insert pass, then overwrite passes at higher positions.
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { MongoClient } from 'mongodb';
import type pg from 'pg';
import { loadConfig } from '../../src/config/load.js';
import { withTableSnapshot } from '../../src/postgres/table-reader.js';
import { toDocument, type Document } from '../../src/router/document.js';
import { Router } from '../../src/router/router.js';
import { bulkLines, chunkBySize } from '../../src/sinks/elasticsearch/bulk-body.js';
import { POSITION_FIELD } from '../../src/sinks/mongodb/sink.js';
import { toStoredForm } from '../../src/sinks/mongodb/stored-form.js';
import { storedBefore } from '../../src/sinks/mongodb/write-plan.js';
import { encodeStatement, updateCommand } from '../../src/sinks/mongodb/update-command.js';
import type { SinkOp } from '../../src/sinks/sink.js';
import type { CpuSplit } from './cpu-split.js';
import { DEMO_TABLES } from './source.js';

/** Share of the documents per table: the generator's table weights. */
const TABLE_SHARE: Record<string, number> = { customers: 0.3, orders: 0.5, hard_types: 0.2 };
const MAX_BULK_BYTES = 8 * 1024 * 1024;
/** A batch that takes longer means the server stopped answering (FerretDB once wedged so). */
const BATCH_TIMEOUT_MS = 120_000;

export interface SampleDocument {
  readonly table: string;
  readonly id: string;
  readonly document: Document;
}

export interface RawPass {
  /** 'insert', then 'overwrite' or 'overwrite 1', 'overwrite 2', ... */
  readonly pass: string;
  readonly docs: number;
  readonly seconds: number;
  readonly docsPerSecond: number;
  readonly failed: number;
  /** Why the pass stopped early (the server stopped answering a batch). */
  readonly note?: string;
}

export interface RawSinkResult {
  readonly sink: 'elasticsearch' | 'mongodb';
  readonly docs: number;
  readonly seconds: number;
  /** Over all passes: the ceiling the service is compared with. */
  readonly docsPerSecond: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly passes: RawPass[];
  /** The passes' CPU by process: the bench (the writer), each stack component, the machine. */
  readonly cpuSplit?: CpuSplit;
}

/** Up to `total` rows of the demo tables, in the generator's table proportions. */
export async function loadSampleRows(
  client: pg.Client,
  total: number,
): Promise<Array<{ table: string; id: string; row: Parameters<typeof toDocument>[0] }>> {
  const rows: Array<{ table: string; id: string; row: Parameters<typeof toDocument>[0] }> = [];
  for (const table of DEMO_TABLES) {
    const want = Math.round(total * (TABLE_SHARE[table] ?? 0.3));
    await withTableSnapshot(client, 'inventory', table, async (snapshot) => {
      let taken = 0;
      for await (const page of snapshot.pages(1000)) {
        for (const source of page) {
          if (taken >= want) break;
          rows.push({ table, id: source.id, row: source.row });
          taken++;
        }
        if (taken >= want) break;
      }
    });
  }
  return rows;
}

function batches<T extends { table: string }>(items: readonly T[], size: number): T[][] {
  const byTable = new Map<string, T[]>();
  for (const item of items) {
    const list = byTable.get(item.table) ?? [];
    list.push(item);
    byTable.set(item.table, list);
  }
  // One table per batch, as one Kafka partition's batch is; tables interleaved.
  const perTable = [...byTable.values()].map((list) => {
    const chunks: T[][] = [];
    for (let start = 0; start < list.length; start += size) chunks.push(list.slice(start, start + size));
    return chunks;
  });
  const result: T[][] = [];
  for (let index = 0; perTable.some((chunks) => index < chunks.length); index++) {
    for (const chunks of perTable) if (chunks[index]) result.push(chunks[index]!);
  }
  return result;
}

/** Runs `work` over the items, `concurrency` at a time, taking no new item once `keepGoing` says no. */
async function withConcurrency<T>(
  items: readonly T[],
  concurrency: number,
  keepGoing: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && keepGoing()) await work(items[next++]!);
    }),
  );
}

export interface RawOptions {
  readonly rows: Awaited<ReturnType<typeof loadSampleRows>>;
  readonly runId: string;
  readonly batchSize: number;
  readonly concurrency: number;
  /** Longest a pass may take: past it no new batch starts, and the pass counts what was written. */
  readonly passBudgetMs: number;
  /** Passes after the insert, each writing every row again at a higher position. */
  readonly overwrites: number;
}

/** Each pass's name and position base: one insert, then the overwrites, each above the last. */
function passPlan(overwrites: number): Array<readonly [string, bigint]> {
  return Array.from({ length: 1 + overwrites }, (_, pass) => [
    pass === 0 ? 'insert' : overwrites === 1 ? 'overwrite' : `overwrite ${pass}`,
    // A batch's documents take base + their index in it: bases a million apart never overlap.
    BigInt(pass + 1) * 1_000_000n,
  ]);
}

function routerFor(sink: 'elasticsearch' | 'mongodb', runId: string): Router {
  const config = loadConfig({
    ...process.env,
    ELASTICSEARCH_INDEX_PREFIX: `${runId}-raw-`,
    MONGODB_DATABASE: `${runId}_raw`.replace(/-/g, '_'),
  });
  return new Router(config, sink);
}

/** Index name the raw run writes a table to. */
export function rawTargets(runId: string): { indices: string[]; mongoDatabase: string } {
  const router = routerFor('elasticsearch', runId);
  return {
    indices: DEMO_TABLES.map(
      (table) => router.routesFor({ database: 'inventory', schema: 'inventory', table })[0]!.target,
    ),
    mongoDatabase: `${runId}_raw`.replace(/-/g, '_'),
  };
}

export async function rawElasticsearch(es: EsClient, options: RawOptions): Promise<RawSinkResult> {
  const router = routerFor('elasticsearch', options.runId);
  const docs = options.rows.map(({ table, id, row }) => {
    const route = router.routesFor({ database: 'inventory', schema: 'inventory', table })[0]!;
    return { table, id, target: route.target, document: toDocument(row, route) };
  });
  for (const index of new Set(docs.map((doc) => doc.target))) {
    // The settings the sink gives the indices it creates.
    await es.indices.create({
      index,
      settings: { index: { gc_deletes: '1h' } },
      mappings: {
        dynamic_templates: [{ doubles: { match_mapping_type: 'double', mapping: { type: 'double' } } }],
      },
    });
  }
  const passes: RawPass[] = [];
  for (const [pass, base] of passPlan(options.overwrites)) {
    let failed = 0;
    let written = 0;
    const started = performance.now();
    const deadline = started + options.passBudgetMs;
    const keepGoing = () => performance.now() < deadline;
    await withConcurrency(batches(docs, options.batchSize), options.concurrency, keepGoing, async (batch) => {
      written += batch.length;
      const lines = batch.map((doc, index) =>
        bulkLines(
          {
            kind: 'upsert',
            target: doc.target,
            id: doc.id,
            position: base + BigInt(index),
          } as unknown as SinkOp,
          doc.document,
        ),
      );
      for (const chunk of chunkBySize(lines, MAX_BULK_BYTES)) {
        const response = await es.bulk({ body: chunk.map((index) => lines[index]).join('') } as never);
        for (const item of response.items) {
          const status = Object.values(item)[0]?.status ?? 500;
          if (status >= 300) failed++;
        }
      }
    });
    const seconds = (performance.now() - started) / 1000;
    passes.push({ pass, docs: written, seconds, docsPerSecond: written / seconds, failed });
  }
  const seconds = passes.reduce((sum, pass) => sum + pass.seconds, 0);
  const total = passes.reduce((sum, pass) => sum + pass.docs, 0);
  return {
    sink: 'elasticsearch',
    docs: total,
    seconds,
    docsPerSecond: total / seconds,
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    passes,
  };
}

export async function rawMongo(mongo: MongoClient, options: RawOptions): Promise<RawSinkResult> {
  const router = routerFor('mongodb', options.runId);
  const db = mongo.db(rawTargets(options.runId).mongoDatabase);
  const docs = options.rows.map(({ table, id, row }) => {
    const route = router.routesFor({ database: 'inventory', schema: 'inventory', table })[0]!;
    return { table, id, target: route.target, stored: toStoredForm(toDocument(row, route)) };
  });
  const passes: RawPass[] = [];
  for (const [pass, base] of passPlan(options.overwrites)) {
    let failed = 0;
    let written = 0;
    const started = performance.now();
    const deadline = started + options.passBudgetMs;
    let stall: string | null = null;
    const keepGoing = () => performance.now() < deadline && stall === null;
    await withConcurrency(batches(docs, options.batchSize), options.concurrency, keepGoing, async (batch) => {
      // The sink's write (its default range guard): replace whatever is stored before the position.
      const statements = batch.map((doc, index) => {
        const position = base + BigInt(index);
        const filter = { _id: doc.id, [POSITION_FIELD]: storedBefore(position) };
        const statement = {
          q: filter,
          u: { ...doc.stored, [POSITION_FIELD]: position },
          upsert: true,
        } as const;
        return { bytes: encodeStatement(statement) };
      });
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `mongodb update of ${batch.length} documents did not answer within ${BATCH_TIMEOUT_MS / 1000} s`,
              ),
            ),
          BATCH_TIMEOUT_MS,
        );
      });
      try {
        const reply = await Promise.race([db.command(updateCommand(batch[0]!.target, statements)), stalled]);
        failed += Array.isArray(reply['writeErrors']) ? reply['writeErrors'].length : 0;
        written += batch.length;
      } catch (error) {
        // Not answering: what was acknowledged so far is the measurement; no new batch starts.
        stall ??= error instanceof Error ? error.message : String(error);
      } finally {
        clearTimeout(timer);
      }
    });
    const seconds = (performance.now() - started) / 1000;
    passes.push({
      pass,
      docs: written,
      seconds,
      docsPerSecond: written / seconds,
      failed,
      ...(stall ? { note: stall } : {}),
    });
    if (stall) break;
  }
  const seconds = passes.reduce((sum, pass) => sum + pass.seconds, 0);
  const total = passes.reduce((sum, pass) => sum + pass.docs, 0);
  return {
    sink: 'mongodb',
    docs: total,
    seconds,
    docsPerSecond: total / seconds,
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    passes,
  };
}
