// Builds _bulk NDJSON by hand: the version (an LSN) must go out as an exact 64-bit integer, and
// one string per operation is cheaper than the client's generic serialization.
import { SNAPSHOT_POSITION, type SinkOp } from '../sink.js';
import { stringifyJson } from '../../util/json.js';
import type { Document } from '../../router/document.js';

/**
 * One operation as its NDJSON lines (action, and source for upserts). `requireAlias`: the target
 * must be an alias (a reindex target), so a write after the alias went fails instead of creating
 * a plain index of that name.
 */
export function bulkLines(op: SinkOp, document: Document | null, requireAlias = false): string {
  // external: only a strictly larger version replaces; a snapshot read also replaces its equal.
  const versionType = op.position === SNAPSHOT_POSITION ? 'external_gte' : 'external';
  const alias = requireAlias && op.kind === 'upsert' ? ',"require_alias":true' : '';
  const meta = `{"_index":${JSON.stringify(op.target)},"_id":${JSON.stringify(op.id)},"version":${op.position.toString()},"version_type":"${versionType}"${alias}}`;
  if (op.kind === 'delete') return `{"delete":${meta}}\n`;
  return `{"index":${meta}}\n${stringifyJson(document)}\n`;
}

/** Splits operations into bulk requests of at most maxBytes each (one operation always fits). */
export function chunkBySize(lines: readonly string[], maxBytes: number): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let size = 0;
  lines.forEach((line, index) => {
    const bytes = Buffer.byteLength(line);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(index);
    size += bytes;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
