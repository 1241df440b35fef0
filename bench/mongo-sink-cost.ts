// What one MongoDB sink batch costs on the client side, whatever the server: round trips per batch
// (driver command monitoring) and CPU µs per event in this process, in steady state (every write
// newer) and in a replay where every write is stale, then again from a second sink instance that
// holds no beliefs about stored positions (a restart). Prints figures; uses its own database.
//
//   tsx bench/mongo-sink-cost.ts [mongodb-url] [--docs 20000] [--batch 500]
//       [--guard range|compare-and-set] [--cache 100000]
//   --guard: MONGODB_WRITE_GUARD (range, the service default: no read unless a write collides).
//   --cache: MONGODB_POSITION_CACHE_ENTRIES, with compare-and-set only (0: a read before every write).
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import type { RowChange } from '../src/decoder/types.js';
import { MongoSink, type WriteGuard } from '../src/sinks/mongodb/sink.js';
import type { SinkOp } from '../src/sinks/sink.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    docs: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    guard: { type: 'string', default: 'range' },
    cache: { type: 'string', default: '0' },
  },
});
const url = positionals[0] ?? 'mongodb://127.0.0.1:27017/?directConnection=true';
const DOCS = Number(values.docs);
const BATCH = Number(values.batch);
const database = `sink_cost_${Date.now()}`;

// The sink's own client settings, plus command monitoring.
const client = new MongoClient(url, {
  serverSelectionTimeoutMS: 5000,
  socketTimeoutMS: 60_000,
  retryWrites: false,
  retryReads: false,
  useBigInt64: true,
  monitorCommands: true,
});
const commands = new Map<string, number>();
client.on('commandStarted', (event) =>
  commands.set(event.commandName, (commands.get(event.commandName) ?? 0) + 1),
);
const newSink = () =>
  new MongoSink(client, {
    url,
    database,
    logger: pino({ level: 'silent' }),
    writeGuard: values.guard as WriteGuard,
    positionCacheEntries: Number(values.cache),
  });
const sink = newSink();

const event = {} as RowChange;
const batchOf = (start: number, position: bigint): SinkOp[] =>
  Array.from({ length: Math.min(BATCH, DOCS - start) }, (_, i) => ({
    kind: 'upsert' as const,
    target: 'inventory.orders',
    id: String(start + i),
    position,
    document: {
      id: start + i,
      order_date: '2026-12-04',
      purchaser: 1001,
      quantity: 3,
      product: 'rope',
      amount: '12.30',
    },
    unchangedColumns: [],
    event,
  }));

async function pass(label: string, position: bigint, expected: string, writer = sink): Promise<void> {
  commands.clear();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let batches = 0;
  for (let start = 0; start < DOCS; start += BATCH) {
    const results = await writer.write(batchOf(start, position));
    if (results.some((result) => result.status !== expected))
      throw new Error(
        `${label}: expected every write ${expected}, got ${JSON.stringify(results.find((r) => r.status !== expected))}`,
      );
    batches += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const trips = [...commands.values()].reduce((sum, n) => sum + n, 0);
  const detail = [...commands].map(([name, n]) => `${name} ${(n / batches).toFixed(2)}`).join(', ');
  console.log(
    `${label.padEnd(34)} ${(trips / batches).toFixed(2)} round trips/batch (${detail})  ` +
      `${((used.user + used.system) / DOCS).toFixed(1)} CPU µs/event  ${Math.round(DOCS / seconds)} events/s`,
  );
}

async function main(): Promise<void> {
  await sink.connect();
  console.log(
    `${url}: ${DOCS} documents, batches of ${BATCH}, write guard ${values.guard}, position cache ${values.cache}`,
  );
  await pass('first write (inserts)', 10n, 'written');
  await pass('steady state (every write newer)', 20n, 'written');
  await pass('replay (every write stale)', 15n, 'stale');
  // The same collection from an instance that has written nothing yet.
  const restarted = newSink();
  await pass('restarted: replay (every write stale)', 15n, 'stale', restarted);
  await pass('restarted: every write newer', 30n, 'written', restarted);
  await client.db(database).dropDatabase();
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => sink.close());
