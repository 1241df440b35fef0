// The position a resync writes at. Two things must hold for it to be safe while the service runs:
// the snapshot reflects every change logged below the position, and every change the stream may
// still deliver that the snapshot lacks is logged at or above it, so the stream overtakes resync.
//
// 1. L = pg_current_wal_lsn(). A transaction logs each change after its xid is assigned, so any
//    change logged below L belongs to a transaction whose xid was assigned before L was read.
// 2. N = a fresh xid (our own empty transaction), so every such xid is below N. (A snapshot's
//    list of running xids will not do: it leaves out running xids at or above its xmax.)
// 3. Wait until the oldest running xid is N or later: every transaction below N has ended, and a
//    snapshot taken then sees every committed change below L.
//
// Resync then writes at L - 1: not below any change logged before L (all in the snapshot), and
// below every change the snapshot may lack.
// The connector slot's restart_lsn, used before, is safe too but can trail the stream by hundreds
// of megabytes of WAL; a resync at that position kept nearly every document it was run to repair.
import type pg from 'pg';
import { parseLsn } from '../postgres/lsn.js';

const POLL_MS = 200;

export interface SettleProgress {
  /** The oldest transaction still running that resync waits for. */
  readonly oldestXid: string;
  readonly waitedMs: number;
}

/**
 * Reads the position and waits until the transactions that may hold changes below it have ended;
 * call it outside a transaction, right before taking the snapshot.
 */
export async function settledPosition(
  client: pg.ClientBase,
  onWait?: (progress: SettleProgress) => void,
): Promise<bigint> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const position = parseLsn(rows[0]!.lsn) - 1n;
  const fresh = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  const next = fresh.rows[0]!.xid;
  const started = Date.now();
  for (;;) {
    const { rows: oldest } = await client.query<{ xid: string; settled: boolean }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xid,
              pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS settled`,
      [next],
    );
    if (oldest[0]!.settled) return position;
    onWait?.({ oldestXid: oldest[0]!.xid, waitedMs: Date.now() - started });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
