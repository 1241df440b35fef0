import { MongoClient } from 'mongodb';
import type { Endpoints } from './endpoints.js';

/**
 * Drops a database, bounded in time: a FerretDB that stopped answering must not hang the caller.
 * (During the trials FerretDB 1.24 stopped answering every command after a client sent it a
 * Decimal128; see bench/peers/README.md.)
 */
export async function dropDatabase(endpoints: Endpoints, database: string): Promise<void> {
  const client = new MongoClient(endpoints.mongodbUrl, {
    serverSelectionTimeoutMS: 10_000,
    socketTimeoutMS: 60_000,
  });
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close().catch(() => undefined);
  }
}
