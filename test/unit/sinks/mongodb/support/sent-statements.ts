// What a fake server reads from the sink's `update` command: the statements decoded from the bytes
// that go on the wire, not from objects beside them (the sink keeps none; update-command.ts).
import { BSON } from 'mongodb';
import type { DocumentSequence } from 'mongodb/lib/cmap/commands.js';

export function sentStatements<T>(updates: DocumentSequence): T[] {
  return updates.chunks.slice(1).map((bytes) => BSON.deserialize(bytes, { useBigInt64: true }) as T);
}
