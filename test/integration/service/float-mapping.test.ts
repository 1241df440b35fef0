// Float columns in Elasticsearch, end to end. Dynamic mapping types a field by its first value:
// a double precision column whose first row holds 1 (JSON `1`) became `long`, and later rows with
// 0.5 or 1e300 were refused and dead-lettered. The service now maps the columns the schema
// declares as float32/float64 as double before the first document, and again for a column added
// later (ALTER TABLE ADD COLUMN). An index that already maps such a field otherwise is not
// changed: its documents with a value there are dead-lettered, naming the field.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Admin } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '../../../src/pipeline/dead-letter.js';
import type { Stores } from '../support/converge.js';
import { readTopicUntil } from '../support/kafka-tools.js';
import { sampleSum } from '../support/metrics.js';
import { pollUntil } from '../support/poll.js';
import { PUBLICATION } from '../support/run-tables.js';
import { TestRun } from '../support/run.js';
import { tableTopic, uniqueRunId } from '../support/stack.js';

const execFileAsync = promisify(execFile);

describe('float columns are mapped as double in Elasticsearch', { timeout: 300_000 }, () => {
  const run = uniqueRunId('esfloat');
  const prefix = run.replace(/[^a-z0-9]+/g, '_');
  /** A copy of hard_types whose first row has real_num = 1. */
  const hard = `${prefix}_hard_types`;
  /** A table whose index an older version made, with real_num mapped as long. */
  const legacy = `${prefix}_legacy`;
  const fixture = new TestRun(run, { ownTables: [hard, legacy] });
  const { env, topics, service } = fixture;
  const hardIndex = `${run}-inventory.${hard}`;
  const legacyIndex = `${run}-inventory.${legacy}`;
  let stores: Stores;
  let admin: Admin;

  async function deadLetters(topic: string, sink?: string): Promise<number> {
    const metrics = (await service.get('/metrics')).body;
    return sampleSum(metrics, 'cdc_fanout_dead_letters_total', sink ? { topic, sink } : { topic });
  }

  async function fieldTypes(index: string): Promise<Record<string, unknown>> {
    // Keyed by the concrete index: the one the alias (or the plain index) names.
    const response = await stores.es.indices.getMapping({ index });
    const properties = Object.values(response)[0]?.mappings.properties ?? {};
    return Object.fromEntries(Object.entries(properties).map(([name, field]) => [name, field.type]));
  }

  before(async () => {
    ({ stores, admin } = await fixture.open());
    const { pg } = stores;
    await pg.query('BEGIN');
    await pg.query(`CREATE TABLE inventory.${hard} (LIKE inventory.hard_types INCLUDING ALL)`);
    await pg.query(`CREATE TABLE inventory.${legacy} (id bigint PRIMARY KEY, real_num double precision)`);
    await pg.query(`ALTER PUBLICATION ${PUBLICATION} ADD TABLE inventory.${hard}, inventory.${legacy}`);
    await pg.query('COMMIT');
    // The seed's hard-types rows, staged so their real_num can be set before they are captured.
    await pg.query(
      `CREATE TEMP TABLE stage AS SELECT * FROM inventory.hard_types ORDER BY tenant_id, item_id LIMIT 2`,
    );
    await pg.query(`UPDATE stage SET real_num = 1`);
    await pg.query(`INSERT INTO inventory.${hard} SELECT * FROM stage ORDER BY tenant_id, item_id LIMIT 1`);
    await pg.query(`INSERT INTO inventory.${legacy} VALUES (1, NULL)`);
    // The index as an older version left it: real_num typed long by a first value of 1.
    await stores.es.indices.create({
      index: legacyIndex,
      mappings: { properties: { id: { type: 'long' }, real_num: { type: 'long' } } },
    });
    await pollUntil(
      `Debezium to create the topics ${topics.join(', ')}`,
      async () => {
        const existing = new Set(await admin.listTopics());
        return topics.every((topic) => existing.has(topic));
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await service.start();
  });

  after(() => fixture.close());

  test('a first row with real_num = 1, then 0.5, 1e300 and -1.5e300: no dead letters', async () => {
    const { pg } = stores;
    // The first document is in the index before any other value is seen.
    await fixture.converge({ tables: [hard] });
    assert.equal((await fieldTypes(hardIndex))['real_num'], 'double');
    await pg.query(`UPDATE inventory.${hard} SET real_num = 0.5`);
    await pg.query(
      `INSERT INTO inventory.${hard} SELECT * FROM stage ORDER BY tenant_id, item_id OFFSET 1 LIMIT 1`,
    );
    await pg.query(`UPDATE inventory.${hard} SET real_num = -1.5e300 WHERE tenant_id = 2`);
    await pg.query(
      `INSERT INTO inventory.${hard} SELECT tenant_id, item_id + 1, big, exact, loose, price, 1e300, ts_tz, ts, day, tod, tod_tz, span, uid, doc, tags, blob, feeling, flag, big_text FROM stage`,
    );
    const reports = await fixture.converge({ tables: [hard] });
    assert.deepEqual(
      reports.map((report) => [report.sink, report.sourceRows, report.sinkDocuments]),
      [
        ['elasticsearch', 4, 4],
        ['mongodb', 4, 4],
      ],
    );
    assert.equal(await deadLetters(tableTopic(hard)), 0);
  });

  test('a float column added later is mapped as double too, whatever its first value', async () => {
    const { pg } = stores;
    await pg.query(`ALTER TABLE inventory.${hard} ADD COLUMN ratio real`);
    // Every row is changed, so every document gets the column (rows not changed since the ALTER
    // would keep documents without it, which verify counts as a difference); one row's is 2.
    await pg.query(`UPDATE inventory.${hard} SET ratio = CASE WHEN item_id = 9007199254740993 THEN 2 END`);
    await fixture.converge({ tables: [hard] });
    assert.equal((await fieldTypes(hardIndex))['ratio'], 'double');
    await pg.query(`UPDATE inventory.${hard} SET ratio = 0.25 WHERE tenant_id = 2`);
    await pg.query(`UPDATE inventory.${hard} SET ratio = 3.4e38 WHERE item_id = 9007199254740994`);
    await fixture.converge({ tables: [hard] });
    const es = await stores.es.search<Record<string, unknown>>({
      index: hardIndex,
      query: { range: { ratio: { gt: 1e38 } } },
    });
    assert.equal(es.hits.hits.length, 1, 'the index holds 3.4e38 as a number, not truncated');
    assert.equal(await deadLetters(tableTopic(hard)), 0);
  });

  test('resync into a new index maps the float columns as double too, from the catalog', async () => {
    const { pg } = stores;
    await pg.query(`UPDATE inventory.${hard} SET real_num = 1, ratio = 2`);
    const prefix = `${run}-resync-`;
    const resync = await execFileAsync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'resync',
        '--table',
        `inventory.${hard}`,
        '--sink',
        'elasticsearch',
      ],
      {
        env: { ...process.env, ...env, ELASTICSEARCH_INDEX_PREFIX: prefix, LOG_LEVEL: 'warn' },
        timeout: 120_000,
      },
    );
    assert.match(resync.stdout, /4 rows, 4 written/);
    const index = `${prefix}inventory.${hard}`;
    const types = await fieldTypes(index);
    assert.equal(types['real_num'], 'double', 'not long, although every real_num is 1');
    assert.equal(types['ratio'], 'double');
    await stores.es.indices.refresh({ index });
    const count = await stores.es.count({ index, query: { term: { real_num: 1 } } });
    assert.equal(count.count, 4);
  });

  test('an index that maps a float column as long: its documents are dead-lettered, naming the field', async () => {
    const { pg } = stores;
    await pg.query(`INSERT INTO inventory.${legacy} VALUES (2, 0.5), (3, 7)`);
    const topic = tableTopic(legacy);
    await pollUntil(
      'two elasticsearch dead letters',
      async () => (await deadLetters(topic, 'elasticsearch')) === 2,
      {
        timeoutMs: 90_000,
        intervalMs: 500,
      },
    );
    const letters = await readTopicUntil(
      env.DEAD_LETTER_TOPIC,
      (messages) =>
        messages.filter((message) => message.headers[DEAD_LETTER_HEADERS.topic] === topic).length >= 2,
    );
    const ours = letters.filter((message) => message.headers[DEAD_LETTER_HEADERS.topic] === topic);
    for (const letter of ours) {
      assert.equal(letter.headers[DEAD_LETTER_HEADERS.sink], 'elasticsearch');
      assert.equal(letter.headers[DEAD_LETTER_HEADERS.errorClass], 'PermanentSinkError');
      assert.match(
        letter.headers[DEAD_LETTER_HEADERS.errorMessage] ?? '',
        new RegExp(
          `index ${legacyIndex.replace(/[.-]/g, '\\$&')} maps field "real_num" as long, but column real_num of table inventory\\.${legacy} is float64 and needs double`,
        ),
      );
    }
    assert.equal((await fieldTypes(legacyIndex))['real_num'], 'long', 'an existing field is never changed');
    // The row without a value there is written; MongoDB has every row.
    const stored = await stores.es.search({ index: legacyIndex, query: { match_all: {} } });
    assert.deepEqual(
      stored.hits.hits.map((hit) => hit._id),
      ['1'],
    );
    await fixture.converge({ tables: [legacy], sinks: ['mongodb'] });
    assert.equal(await deadLetters(topic, 'mongodb'), 0);
  });
});
