// Compares each Postgres table with a peer's index or collection: every row must have a document
// with its primary key and equal values in the compared fields, and no document may be left that
// has no row (deleted rows are gone). Only what the peer can represent is compared; `describe`
// says exactly what that was.
import { Client as EsClient } from '@elastic/elasticsearch';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import type { Endpoints } from './endpoints.js';
import { fromDocument, fromPostgres, postgresExpression, type FieldKind } from './values.js';

export interface FieldSpec {
  readonly column: string;
  readonly kind: FieldKind;
  /** The document's field, when it is not named like the column. */
  readonly field?: string;
  /** For decimalBase64: the column's scale. */
  readonly scale?: number;
}

export interface TableSpec {
  /** Postgres table, schema-qualified: 'inventory.customers'. */
  readonly table: string;
  /** Its single-column primary key. */
  readonly key: string;
  /** Index (Elasticsearch) or collection (MongoDB) name. */
  readonly target: string;
  /** How the peer stores the key, e.g. '_id as a string' or "_id {id: <int>}". */
  readonly idForm: string;
  /** The row id (the key's value as text) a stored document belongs to. */
  readonly idOf: (document: StoredDocument) => string | undefined;
  readonly fields: readonly FieldSpec[];
}

export interface StoredDocument {
  readonly _id: unknown;
  readonly [field: string]: unknown;
}

export interface TableCheck {
  readonly table: string;
  readonly target: string;
  readonly rows: number;
  readonly documents: number;
  readonly missing: string[];
  readonly extra: string[];
  readonly different: Array<{ id: string; field: string; expected: string; actual: string }>;
  readonly missingCount: number;
  readonly extraCount: number;
  readonly differentCount: number;
  readonly ok: boolean;
}

export interface SinkReader {
  /** Every document of the target (an absent target: none). */
  readAll(target: string): Promise<StoredDocument[]>;
  close(): Promise<void>;
}

const EXAMPLES = 3;

export async function checkTable(
  pgClient: pg.Client,
  reader: SinkReader,
  spec: TableSpec,
): Promise<TableCheck> {
  const columns = spec.fields.map((f) => `${postgresExpression(f.column, f.kind)} AS "${f.column}"`);
  const { rows } = await pgClient.query<Record<string, string | null>>(
    `SELECT "${spec.key}"::text AS "__id", ${columns.join(', ')} FROM ${spec.table}`,
  );
  const documents = await reader.readAll(spec.target);
  const byId = new Map<string, StoredDocument>();
  const extra: string[] = [];
  let extraCount = 0;
  for (const document of documents) {
    const id = spec.idOf(document);
    if (id === undefined) {
      extraCount++;
      if (extra.length < EXAMPLES) extra.push(`(unreadable _id) ${JSON.stringify(document._id)}`);
      continue;
    }
    byId.set(id, document);
  }
  const missing: string[] = [];
  let missingCount = 0;
  const different: TableCheck['different'] = [];
  let differentCount = 0;
  const seen = new Set<string>();
  for (const row of rows) {
    const id = row.__id as string;
    seen.add(id);
    const document = byId.get(id);
    if (!document) {
      missingCount++;
      if (missing.length < EXAMPLES) missing.push(id);
      continue;
    }
    let differs = false;
    for (const field of spec.fields) {
      const expected = fromPostgres(row[field.column] ?? null, field.kind);
      const actual = fromDocument(document[field.field ?? field.column], field.kind, field.scale);
      if (expected !== actual) {
        differs = true;
        if (different.length < EXAMPLES) different.push({ id, field: field.column, expected, actual });
      }
    }
    if (differs) differentCount++;
  }
  for (const id of byId.keys()) {
    if (seen.has(id)) continue;
    extraCount++;
    if (extra.length < EXAMPLES) extra.push(id);
  }
  return {
    table: spec.table,
    target: spec.target,
    rows: rows.length,
    documents: documents.length,
    missing,
    extra,
    different,
    missingCount,
    extraCount,
    differentCount,
    ok: missingCount === 0 && extraCount === 0 && differentCount === 0,
  };
}

/** One line a table: counts, then the first few problems. */
export function describeChecks(checks: readonly TableCheck[]): string {
  return checks
    .map((c) => {
      const head = `${c.table} -> ${c.target}: ${c.rows} rows, ${c.documents} docs, ${c.missingCount} missing, ${c.extraCount} extra, ${c.differentCount} different`;
      const details = [
        c.missing.length ? `missing e.g. ${c.missing.join(',')}` : '',
        c.extra.length ? `extra e.g. ${c.extra.join(',')}` : '',
        c.different.length
          ? `different e.g. ${c.different.map((d) => `${d.id}.${d.field}: pg ${d.expected} vs ${d.actual}`).join('; ')}`
          : '',
      ].filter(Boolean);
      return details.length ? `${head} (${details.join('; ')})` : head;
    })
    .join('; ');
}

/** What was compared, e.g. "compared: id (_id as a string), first_name (text), created_at (zonedTimestamp)". */
export function describeSpecs(specs: readonly TableSpec[]): string {
  return specs
    .map(
      (s) =>
        `${s.table}: key ${s.key} (${s.idForm}), ${s.fields.map((f) => `${f.column} (${f.kind}${f.scale !== undefined ? ` scale ${f.scale}` : ''})`).join(', ')}`,
    )
    .join('; ');
}

export interface Verdict {
  readonly correct: boolean;
  readonly correctness: string;
}

/**
 * Checks every table until all agree or `settleMs` passed (the peer keeps running meanwhile, so
 * changes made to Postgres while the clock ran, by this run's load or anyone's, can arrive).
 */
export async function checkUntilSettled(
  endpoints: Endpoints,
  reader: SinkReader,
  specs: readonly TableSpec[],
  settleMs: number,
): Promise<Verdict> {
  const pgClient = new pg.Client({ connectionString: endpoints.postgresUrl });
  await pgClient.connect();
  try {
    const deadline = Date.now() + settleMs;
    for (let attempt = 1; ; attempt++) {
      const checks: TableCheck[] = [];
      try {
        for (const spec of specs) checks.push(await checkTable(pgClient, reader, spec));
      } catch (error) {
        // A sink that cannot be read (e.g. a FerretDB database that stopped answering) is a result too.
        return {
          correct: false,
          correctness: `could not be checked: reading ${specs[checks.length]?.target ?? 'the sink'} failed: ${(error as Error).message}. ${describeChecks(checks)}`,
        };
      }
      const ok = checks.every((c) => c.ok);
      if (ok || Date.now() >= deadline) {
        return {
          correct: ok,
          correctness: `${ok ? 'agrees' : 'differs'} after ${attempt} check(s): ${describeChecks(checks)}. Compared ${describeSpecs(specs)}`,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  } finally {
    await pgClient.end().catch(() => undefined);
  }
}

export function mongoReader(endpoints: Endpoints, database: string): SinkReader {
  const client = new MongoClient(endpoints.mongodbUrl, {
    serverSelectionTimeoutMS: 10_000,
    socketTimeoutMS: 120_000,
  });
  return {
    async readAll(collection) {
      return (await client.db(database).collection(collection).find({}).toArray()) as StoredDocument[];
    },
    close: () => client.close(),
  };
}

export function elasticsearchReader(endpoints: Endpoints): SinkReader {
  const client = new EsClient({ node: endpoints.elasticsearchUrl, requestTimeout: 120_000 });
  return {
    async readAll(index) {
      if (!(await client.indices.exists({ index }))) return [];
      await client.indices.refresh({ index });
      const documents: StoredDocument[] = [];
      let response = await client.search<Record<string, unknown>>({
        index,
        scroll: '1m',
        size: 5000,
        sort: ['_doc'],
      });
      try {
        while (response.hits.hits.length > 0) {
          for (const hit of response.hits.hits) documents.push({ ...(hit._source ?? {}), _id: hit._id });
          response = await client.scroll<Record<string, unknown>>({
            scroll_id: response._scroll_id!,
            scroll: '1m',
          });
        }
      } finally {
        if (response._scroll_id)
          await client.clearScroll({ scroll_id: response._scroll_id }).catch(() => undefined);
      }
      return documents;
    },
    close: () => client.close(),
  };
}
