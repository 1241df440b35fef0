import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRenamesAgainstColumns } from '../../../src/router/catalog-check.js';
import type { TableOverrides } from '../../../src/config/tables.js';
import { ConfigError } from '../../../src/errors.js';

function config(tables: TableOverrides) {
  return {
    tables,
    defaults: { decimal: 'string', truncate: 'ignore' },
    sinks: ['elasticsearch', 'mongodb'],
    elasticsearch: { indexPrefix: '' },
  } as const;
}

const columns: Record<string, string[]> = {
  'public.customers': ['id', 'first_name', 'last_name', 'email'],
};
const describeColumns = async (table: string) => columns[table] ?? null;

describe('checkRenamesAgainstColumns', () => {
  test('a rename onto a column another target keeps is a ConfigError naming TABLES, the table, the target and both columns', async () => {
    const tables: TableOverrides = {
      'public.customers': {
        targets: [
          {
            sink: 'elasticsearch',
            index: 'ok',
            includeColumns: ['id', 'first_name'],
            rename: { first_name: 'email' },
          },
          { sink: 'mongodb', collection: 'people', rename: { first_name: 'email' } },
        ],
      },
    };
    await assert.rejects(
      checkRenamesAgainstColumns(config(tables), describeColumns),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message.startsWith(
          'invalid configuration:\nTABLES: table "public.customers": mongodb target "people" renames column "first_name" to "email", which is also a column of the table',
        ),
    );
  });

  test('answers the tables it checked; tables without renames or not in Postgres are not checked', async () => {
    const tables: TableOverrides = {
      'public.customers': { rename: { first_name: 'firstName' } },
      'public.plain': {},
      'public.later': { rename: { a: 'b' } },
    };
    const asked: string[] = [];
    const checked = await checkRenamesAgainstColumns(config(tables), async (table) => {
      asked.push(table);
      return describeColumns(table);
    });
    assert.deepEqual(asked, ['public.customers', 'public.later']);
    assert.deepEqual(checked, ['public.customers']);
  });

  test("only this instance's sinks are checked", async () => {
    const tables: TableOverrides = {
      'public.customers': { targets: [{ sink: 'mongodb', rename: { first_name: 'email' } }] },
    };
    await checkRenamesAgainstColumns({ ...config(tables), sinks: ['elasticsearch'] }, describeColumns);
  });
});
