// One TableRef per table, shared by all its events. Each event names its table in its source
// block, and the three strings JSON.parse made for it and the object around them stayed alive with
// the event until its batch was committed: through several young-generation collections, each of
// which copied them. Looked up by the parsed strings, so an event of a known table keeps nothing of
// its own. Bounded: a stream naming ever new tables gets fresh objects past the bound, as before.
import type { TableRef } from './types.js';

const MAX_TABLES = 4096;
const byDatabase = new Map<string, Map<string, Map<string, TableRef>>>();
let known = 0;

export function tableRef(database: string, schema: string, table: string): TableRef {
  let bySchema = byDatabase.get(database);
  let byTable = bySchema?.get(schema);
  const found = byTable?.get(table);
  if (found !== undefined) return found;
  const ref: TableRef = Object.freeze({ database, schema, table });
  if (known >= MAX_TABLES) return ref;
  if (bySchema === undefined) byDatabase.set(database, (bySchema = new Map()));
  if (byTable === undefined) bySchema.set(schema, (byTable = new Map()));
  byTable.set(table, ref);
  known++;
  return ref;
}
