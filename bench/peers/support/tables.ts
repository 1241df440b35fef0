// The demo tables the peers are checked on (postgres/*.sql), column by column with the Debezium
// type each column arrives as; a peer turns the types into the forms it stores (FieldKind).
import type { FieldSpec, StoredDocument, TableSpec } from './correctness.js';
import { fromDocument, type FieldKind } from './values.js';

type DebeziumType = 'int' | 'text' | 'zonedTimestamp' | 'date' | 'decimal';

interface Column {
  readonly name: string;
  readonly type: DebeziumType;
  readonly scale?: number;
}

export const TABLES: Record<string, { key: string; columns: readonly Column[] }> = {
  'inventory.customers': {
    key: 'id',
    columns: [
      { name: 'id', type: 'int' },
      { name: 'first_name', type: 'text' },
      { name: 'last_name', type: 'text' },
      { name: 'email', type: 'text' },
      { name: 'created_at', type: 'zonedTimestamp' },
    ],
  },
  'inventory.orders': {
    key: 'id',
    columns: [
      { name: 'id', type: 'int' },
      { name: 'order_date', type: 'date' },
      { name: 'purchaser', type: 'int' },
      { name: 'quantity', type: 'int' },
      { name: 'product', type: 'text' },
      { name: 'amount', type: 'decimal', scale: 2 },
    ],
  },
};

/** 'cdc.inventory.customers' -> 'inventory.customers' (the topic prefix is the first segment). */
export const tableOfTopic = (topic: string) => topic.split('.').slice(1).join('.');

export interface Representation {
  readonly date: FieldKind;
  readonly decimal: FieldKind;
  /** How the peer stores the key, for the report. */
  readonly idForm: string;
  readonly idOf: (document: StoredDocument) => string | undefined;
  /**
   * The key column is kept only inside _id (mongo-kafka-connect's RDBMS handler moves it there):
   * its value is checked through idOf, not as a field.
   */
  readonly keyInIdOnly?: boolean;
}

export function tableSpec(
  topic: string,
  target: string,
  representation: Representation,
): TableSpec | undefined {
  const table = tableOfTopic(topic);
  const definition = TABLES[table];
  if (!definition) return undefined;
  const kinds: Record<DebeziumType, FieldKind> = {
    int: 'integer',
    text: 'text',
    zonedTimestamp: 'zonedTimestamp',
    date: representation.date,
    decimal: representation.decimal,
  };
  const columns = representation.keyInIdOnly
    ? definition.columns.filter((c) => c.name !== definition.key)
    : definition.columns;
  const fields: FieldSpec[] = columns.map((c) => ({
    column: c.name,
    kind: kinds[c.type],
    ...(c.scale !== undefined ? { scale: c.scale } : {}),
  }));
  return {
    table,
    key: definition.key,
    target,
    idForm: representation.idForm,
    idOf: representation.idOf,
    fields,
  };
}

/** _id as the key's value in text (cdc-fanout's and the Redpanda peers' form). */
export const stringId = (document: StoredDocument) =>
  typeof document._id === 'string' ? document._id : undefined;

/** _id as the key struct, {id: 1} (what Connect's MongoDB sinks make of a Debezium key). */
export const keyDocumentId =
  (key: string) =>
  (document: StoredDocument): string | undefined => {
    const id = document._id as Record<string, unknown> | null;
    if (!id || typeof id !== 'object' || !(key in id)) return undefined;
    const text = fromDocument(id[key], 'integer');
    return text.startsWith('(') ? undefined : text;
  };
