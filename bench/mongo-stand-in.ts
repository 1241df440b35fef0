// Evaluates a MongoDB wire-protocol server as a stand-in for MongoDB: the semantics the MongoDB sink
// relies on, then guarded bulk-write speed on a 100k-document collection. Prints a table; writes
// nothing outside its own database, which it drops at the end.
//
//   tsx bench/mongo-stand-in.ts mongodb://127.0.0.1:27018/?directConnection=true [--docs 100000]
//     [--seconds 8] [--batch 500]
// --batch below 50 lets FerretDB 1.24's PostgreSQL backend finish: a larger bulk wedges it
// (docs/mongodb-stand-in.md).
import { parseArgs } from 'node:util';
import {
  Decimal128,
  MongoBulkWriteError,
  MongoClient,
  type AnyBulkWriteOperation,
  type Collection,
} from 'mongodb';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    docs: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '8' },
    batch: { type: 'string', default: '500' },
  },
});
const url = positionals[0] ?? 'mongodb://127.0.0.1:27018/?directConnection=true';
const DOCS = Number(values.docs);
const SECONDS = Number(values.seconds);
const BATCH = Number(values.batch);

type Doc = { _id: string } & Record<string, unknown>;

const client = new MongoClient(url, {
  useBigInt64: true,
  serverSelectionTimeoutMS: 5000,
  socketTimeoutMS: 120_000,
});
const db = client.db(`standin_eval_${Date.now()}`);

const guard = (id: string, position: bigint) => ({ _id: id, _cdc_lsn: { $not: { $gte: position } } });

function writeErrorsOf(error: unknown) {
  if (!(error instanceof MongoBulkWriteError)) throw error;
  return Array.isArray(error.writeErrors) ? error.writeErrors : Object.values(error.writeErrors);
}

async function check(name: string, body: (c: Collection<Doc>) => Promise<boolean | string>): Promise<string> {
  const c = db.collection<Doc>(`check_${name.replace(/\W+/g, '_')}`);
  try {
    const outcome = await body(c);
    return outcome === true ? 'yes' : outcome === false ? 'NO' : outcome;
  } catch (error) {
    return `error: ${(error as Error).message.slice(0, 90)}`;
  }
}

const checks: Array<[string, (c: Collection<Doc>) => Promise<boolean | string>]> = [
  [
    'stale write refused, nothing changed, E11000 on _id',
    async (c) => {
      await c.insertOne({ _id: 'a', _cdc_lsn: 10n, v: 'new' });
      try {
        await c.bulkWrite([
          { replaceOne: { filter: guard('a', 5n), replacement: { _cdc_lsn: 5n, v: 'old' }, upsert: true } },
        ]);
        return 'no error';
      } catch (error) {
        const [first] = writeErrorsOf(error);
        const stored = await c.findOne({ _id: 'a' });
        return first?.code === 11000 && /_id/.test(first.errmsg ?? '') && stored?.v === 'new';
      }
    },
  ],
  [
    'newer write applied',
    async (c) => {
      await c.insertOne({ _id: 'a', _cdc_lsn: 10n, v: 'old' });
      await c.bulkWrite([
        { replaceOne: { filter: guard('a', 20n), replacement: { _cdc_lsn: 20n, v: 'new' }, upsert: true } },
      ]);
      const stored = await c.findOne({ _id: 'a' });
      return stored?.v === 'new' && stored._cdc_lsn === 20n;
    },
  ],
  [
    'document without _cdc_lsn taken over',
    async (c) => {
      await c.insertOne({ _id: 'a', v: 'app' });
      await c.bulkWrite([
        { replaceOne: { filter: guard('a', 20n), replacement: { _cdc_lsn: 20n, v: 'cdc' }, upsert: true } },
      ]);
      return (await c.findOne({ _id: 'a' }))?.v === 'cdc';
    },
  ],
  [
    'compare-and-set on the exact position (+ {_id, _cdc_lsn} unique index)',
    async (c) => {
      await c.createIndex({ _id: 1, _cdc_lsn: 1 }, { unique: true });
      await c.insertOne({ _id: 'a', _cdc_lsn: 10n, v: 'old' });
      const hit = await c.replaceOne(
        { _id: 'a', _cdc_lsn: 10n },
        { _cdc_lsn: 20n, v: 'new' },
        { upsert: true },
      );
      try {
        await c.replaceOne({ _id: 'a', _cdc_lsn: 10n }, { _cdc_lsn: 30n, v: 'lost race' }, { upsert: true });
        return 'conflict not detected';
      } catch (error) {
        const stored = await c.findOne({ _id: 'a' });
        return hit.modifiedCount === 1 && (error as { code?: number }).code === 11000 && stored?.v === 'new';
      }
    },
  ],
  [
    'unordered bulk continues past errors, every failed index reported',
    async (c) => {
      await c.insertMany([
        { _id: 'a', _cdc_lsn: 10n },
        { _id: 'c', _cdc_lsn: 10n },
      ]);
      const ops: AnyBulkWriteOperation<Doc>[] = ['a', 'b', 'c', 'd'].map((id) => ({
        replaceOne: { filter: guard(id, 5n), replacement: { _cdc_lsn: 5n }, upsert: true },
      }));
      try {
        await c.bulkWrite(ops, { ordered: false });
        return 'no error';
      } catch (error) {
        const failed = writeErrorsOf(error).map((e) => e.index);
        const written = await c.countDocuments({ _cdc_lsn: 5n });
        return failed.join(',') === '0,2' && written === 2
          ? true
          : `failed ${failed.join(',')}, written ${written}`;
      }
    },
  ],
  [
    'E11000 on a user unique index names that index',
    async (c) => {
      await c.createIndex({ email: 1 }, { unique: true, name: 'email_1' });
      await c.insertOne({ _id: 'a', email: 'x' });
      try {
        await c.bulkWrite([
          { replaceOne: { filter: { _id: 'b' }, replacement: { email: 'x' }, upsert: true } },
        ]);
        return 'no error';
      } catch (error) {
        const [first] = writeErrorsOf(error);
        return first?.code === 11000 && /email/.test(first.errmsg ?? '') && !/_id_/.test(first.errmsg ?? '');
      }
    },
  ],
  [
    'Decimal128',
    async (c) => {
      await c.insertOne({ _id: 'a', d: Decimal128.fromString('12345678901234567890.123456789') });
      const stored = await c.findOne({ _id: 'a' });
      return stored?.d instanceof Decimal128 && stored.d.toString() === '12345678901234567890.123456789';
    },
  ],
  [
    'NaN, -Infinity doubles',
    async (c) => {
      await c.insertOne({ _id: 'a', n: NaN, m: -Infinity });
      const stored = await c.findOne({ _id: 'a' });
      return Number.isNaN(stored?.n) && stored?.m === -Infinity;
    },
  ],
  [
    "field names with '.' (replacement) and '$' (nested)",
    async (c) => {
      await c.bulkWrite([
        { replaceOne: { filter: { _id: 'a' }, replacement: { 'a.b': 1, o: { $x: 2 } }, upsert: true } },
      ]);
      const stored = await c.findOne({ _id: 'a' });
      return stored?.['a.b'] === 1 && (stored.o as Record<string, unknown>)?.$x === 2;
    },
  ],
  [
    'positions read with one _id $in query',
    async (c) => {
      await c.insertMany([
        { _id: 'a', _cdc_lsn: 1n, big: 'x' },
        { _id: 'b', _cdc_lsn: 2n },
      ]);
      const found = await c
        .find({ _id: { $in: ['a', 'b', 'z'] } }, { projection: { _cdc_lsn: 1 } })
        .toArray();
      return found.length === 2 && found.every((d) => !('big' in d));
    },
  ],
  [
    'TTL index accepted',
    async (c) => {
      await c.createIndex({ _cdc_deleted_at: 1 }, { expireAfterSeconds: 3600 });
      return true;
    },
  ],
];

/** Writes `count` batches of guarded upserts over the seeded collection; returns docs/s. */
async function measure(
  c: Collection<Doc>,
  model: (id: string, position: bigint) => AnyBulkWriteOperation<Doc>,
  position: bigint,
  batchSize = BATCH,
): Promise<number> {
  const started = process.hrtime.bigint();
  let written = 0;
  for (let batch = 0; ; batch++) {
    const ops: AnyBulkWriteOperation<Doc>[] = [];
    for (let i = 0; i < batchSize; i++) ops.push(model(`k${(batch * batchSize + i) % DOCS}`, position));
    await c.bulkWrite(ops, { ordered: false });
    written += batchSize;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (seconds >= SECONDS || written >= DOCS) return Math.round(written / seconds);
  }
}

async function seed(name: string, compound: boolean): Promise<Collection<Doc>> {
  const c = db.collection<Doc>(name);
  if (compound) await c.createIndex({ _id: 1, _cdc_lsn: 1 }, { unique: true });
  for (let start = 0; start < DOCS; start += 5000) {
    const docs: Doc[] = [];
    for (let i = start; i < Math.min(DOCS, start + 5000); i++)
      docs.push({ _id: `k${i}`, _cdc_lsn: 1n, name: `row ${i}`, qty: i });
    await c.insertMany(docs, { ordered: false });
  }
  return c;
}

/** Batches of one _id $in read and a compare-and-set replace on each stored position; returns docs/s. */
async function compareAndSet(c: Collection<Doc>, replacement: Record<string, unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  let written = 0;
  for (let batch = 0; ; batch++) {
    const ids = Array.from({ length: BATCH }, (_, i) => `k${(batch * BATCH + i) % DOCS}`);
    const found = await c.find({ _id: { $in: ids } }, { projection: { _cdc_lsn: 1 } }).toArray();
    const stored = new Map(found.map((d) => [d._id, d._cdc_lsn]));
    await c.bulkWrite(
      ids.map((id) => ({
        replaceOne: { filter: { _id: id, _cdc_lsn: stored.get(id) }, replacement, upsert: true },
      })),
      { ordered: false },
    );
    written += BATCH;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (seconds >= SECONDS || written >= DOCS) return Math.round(written / seconds);
  }
}

async function main(): Promise<void> {
  await client.connect();
  const build = await db
    .admin()
    .command({ buildInfo: 1 })
    .catch(() => ({ version: '?' }));
  console.log(`server ${url} reports version ${String(build.version)}`);
  console.log('\nsemantics');
  for (const [name, body] of checks) console.log(`  ${name.padEnd(72)} ${await check(name, body)}`);

  console.log(`\nspeed: ${DOCS} documents, bulks of ${BATCH}, up to ${SECONDS} s per row`);
  let started = Date.now();
  const plain = await seed('speed_plain', false);
  console.log(
    `  insertMany seed                                   ${Math.round(DOCS / ((Date.now() - started) / 1000))} docs/s`,
  );
  const row = (name: string, rate: number) => console.log(`  ${name.padEnd(50)}${rate} docs/s`);
  const fields = (position: bigint) => ({ _cdc_lsn: position, name: 'updated', qty: 1 });
  row(
    'replace filtered on _id alone',
    await measure(
      plain,
      (id, p) => ({ replaceOne: { filter: { _id: id }, replacement: fields(p), upsert: true } }),
      2n,
    ),
  );
  // Bulks of 20: a server that scans the collection per write would take minutes for 500.
  row(
    'guarded replace {_id, _cdc_lsn: {$not: {$gte}}}',
    await measure(
      plain,
      (id, p) => ({ replaceOne: { filter: guard(id, p), replacement: fields(p), upsert: true } }),
      3n,
      20,
    ),
  );
  // The sink's write: one _id $in read of the positions, then a replace on the exact stored one.
  row('read positions ($in), CAS replace on exact one', await compareAndSet(plain, fields(4n)));
  started = Date.now();
  const indexed = await seed('speed_cas', true);
  console.log(
    `  insertMany seed with {_id, _cdc_lsn} index        ${Math.round(DOCS / ((Date.now() - started) / 1000))} docs/s`,
  );
  row('the same with an {_id, _cdc_lsn} index', await compareAndSet(indexed, fields(2n)));
  await db.dropDatabase();
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => client.close());
