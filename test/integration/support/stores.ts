// A MongoDB client for the fault tests that cannot hang a run: a socket that stays silent for
// SOCKET_TIMEOUT_MS fails the operation, so a wedged server fails the test instead of blocking it.
import { MongoClient } from 'mongodb';
import { stack } from './stack.js';

const SOCKET_TIMEOUT_MS = 30_000;

export async function mongodbWithTimeouts(): Promise<MongoClient> {
  const client = new MongoClient(stack.mongodbUrl, {
    useBigInt64: true,
    serverSelectionTimeoutMS: 5000,
    socketTimeoutMS: SOCKET_TIMEOUT_MS,
  });
  await client.connect();
  return client;
}
