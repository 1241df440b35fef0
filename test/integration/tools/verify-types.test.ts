// verify (and resync, which reads Postgres the same way) on an ordinary schema, not the demo's: a
// char(n) column (pgbench's filler), a domain, an hstore and a table without a primary key. The
// stream sends char(n) padded, a domain as its base type and hstore as JSON; reading them as text
// made verify report every row different. A keyless table aborted verify with a stack trace.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PUBLICATION } from '../support/run-tables.js';
import { runCli } from '../support/cli.js';
import { TestRun } from '../support/run.js';
import { uniqueRunId } from '../support/stack.js';

describe('verify on ordinary Postgres types and a keyless table', { timeout: 300_000 }, () => {
  const run = uniqueRunId('vtypes');
  const prefix = run.replace(/-/g, '_');
  const typed = `${prefix}_typed`;
  const keyless = `${prefix}_keyless`;
  const fixture = new TestRun(run, { ownTables: [typed, keyless] });

  const cli = (...args: string[]) => runCli(fixture.env, args);

  before(async () => {
    const { stores } = await fixture.open();
    const { pg } = stores;
    await pg.query('CREATE EXTENSION IF NOT EXISTS hstore');
    await pg.query('BEGIN');
    await pg.query(`CREATE DOMAIN inventory.${prefix}_positive AS integer CHECK (VALUE > 0)`);
    await pg.query(`CREATE DOMAIN inventory.${prefix}_price AS numeric(10,2)`);
    await pg.query(
      `CREATE TABLE inventory.${typed} (id int PRIMARY KEY, filler char(12), code char(3), amount inventory.${prefix}_positive,
         price inventory.${prefix}_price, attributes hstore, flags bit(4), mask varbit(12), spot point,
         day date, at timestamp, at_utc timestamptz)`,
    );
    await pg.query(`CREATE TABLE inventory.${keyless} (note text)`);
    await pg.query(`ALTER PUBLICATION ${PUBLICATION} ADD TABLE inventory.${typed}, inventory.${keyless}`);
    await pg.query('COMMIT');
    await pg.query(
      `INSERT INTO inventory.${typed} VALUES
         (1, 'ab', 'x', 7, 12.5, 'colour=>red, size=>NULL', B'1010', B'101', '(1,2)',
          '2024-02-29', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.5+05:30'),
         (2, '', 'abc', 1, 0, '', B'0000', B'100000000001', '(1.5,-2.25)',
          'infinity', 'infinity', 'infinity'),
         (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
         (4, 'multi-bytÉ', ' y', 2147483647, -99999999.99, '"a b"=>"c=>d"', B'1111', B'', '(-1e300,0)',
          '-infinity', '-infinity', '-infinity'),
         (5, 'bc', 'bc', 5, 1, '', B'0001', B'1', '(0,0)',
          '0044-03-15 BC', '0001-01-01 00:00:00 BC', '1999-12-31 23:00:00-01'),
         (6, 'far', 'far', 6, 2, '', B'0010', B'10', '(0,1)',
          '10000-01-01', '20000-06-01 12:00:00', '9999-12-31 23:59:59+00')`,
    );
    await pg.query(`INSERT INTO inventory.${keyless} VALUES ('no key')`);
    await fixture.service.start();
  });

  after(() => fixture.close());

  test('the stream and verify agree on char(n), domains, hstore, bit strings, points, ±infinity and BC dates, in both sinks', async () => {
    await fixture.converge({ tables: [typed] });
    const result = await cli('verify', '--table', `inventory.${typed}`, '--json');
    assert.equal(result.code, 0, result.stdout);
  });

  test('verify of every consumed table names the keyless one as skipped and still reports the others', async () => {
    const result = await cli('verify');
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(
      result.stderr,
      new RegExp(`skipped inventory\\.${keyless} \\(elasticsearch\\): no primary key`),
    );
    assert.match(result.stdout, new RegExp(`inventory\\.${typed}`));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  test('resync of the keyless table fails in one line naming it', async () => {
    const result = await cli('resync', '--table', `inventory.${keyless}`);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`table inventory\\.${keyless} has no primary key`));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
});
