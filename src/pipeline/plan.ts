// Turns one partition's decoded events into the steps a sink carries out: runs of document
// operations, coalesced to the last change per document, and truncates as barriers between them.
// Coalescing never reorders: one document gets one operation per run, the state after its last
// change, and a truncate ends the run so nothing crosses it.
import type { ChangeEvent, RowChange, Truncate } from '../decoder/types.js';
import {
  adoptAsDocument,
  columnSelected,
  fieldName,
  renameClash,
  type Document,
} from '../router/document.js';
import type { Router, TableRoute } from '../router/router.js';
import { SNAPSHOT_POSITION, upsertWith, type OpOrigin, type SinkOp } from '../sinks/sink.js';
import { setOwn } from '../decoder/own.js';
import { ReloadableUpsert, type Redecode } from './reloadable-upsert.js';

export interface WriteStep {
  readonly kind: 'write';
  readonly ops: readonly SinkOp[];
  /**
   * For an operation that stands for several changes of its document: each change on its own, in
   * order (the last is the operation's own event). Should the operation fail for good, these are
   * written one by one, so that the changes before the one that cannot be written still apply
   * (a delete before an insert too large to store) and each failure is dead-lettered by itself.
   */
  readonly unfolded: ReadonlyMap<SinkOp, readonly SinkOp[]>;
  /** Targets whose table deletes its documents on TRUNCATE: what is written there is checked against their truncate marks. */
  readonly truncatable: ReadonlySet<string>;
}

export type PlanStep =
  WriteStep | { readonly kind: 'truncate'; readonly target: string; readonly event: Truncate };

export interface Plan {
  readonly steps: readonly PlanStep[];
  /** Events the sink does not want (other tables, tombstones, ignored truncates): done as they are. */
  readonly skipped: number;
}

const NO_COLUMNS: readonly string[] = Object.freeze([]);

/** The unchanged (TOAST) columns the route selects, under their field names. */
function unchangedFields(columns: readonly string[], route: TableRoute): readonly string[] {
  if (columns.length === 0) return NO_COLUMNS;
  return columns.filter((column) => columnSelected(route, column)).map((column) => fieldName(route, column));
}

function originOf({ table, position, record, columnTypes }: RowChange): OpOrigin {
  return { table, position, record, columnTypes };
}

function toOp(event: RowChange, route: TableRoute, redecode: Redecode): SinkOp {
  const { lsn, snapshot } = event.position;
  const position = (snapshot && event.op === 'r') || lsn === null ? SNAPSHOT_POSITION : lsn;
  const { target } = route;
  const id = event.key.id;
  const origin = originOf(event);
  if (event.op === 'd' || event.after === null)
    return { kind: 'delete', target, id, position, event: origin };
  // The declared columns include TOAST ones the row lacks: a clash with them is found at once.
  const clash = event.columnTypes && renameClash(route, event.columnTypes.keys());
  if (clash) throw clash;
  const document = adoptAsDocument(event.after, route);
  const unchangedColumns = unchangedFields(event.unchangedColumns, route);
  return new ReloadableUpsert(target, id, position, origin, unchangedColumns, document, route, redecode);
}

/**
 * A later update that could not read some columns (TOAST) still knows them when an earlier
 * change of the same document in this run carried them: fill them in, so the merged operation
 * is as complete as the changes it replaces.
 */
function merge(earlier: SinkOp, later: SinkOp): SinkOp {
  if (later.kind !== 'upsert' || later.unchangedColumns.length === 0 || earlier.kind !== 'upsert')
    return later;
  const document: Document = { ...later.document };
  const stillUnknown: string[] = [];
  for (const column of later.unchangedColumns) {
    if (Object.hasOwn(earlier.document, column)) {
      setOwn(document, column, earlier.document[column] ?? null);
    } else {
      stillUnknown.push(column);
    }
  }
  return upsertWith(later, { document, unchangedColumns: stillUnknown });
}

/**
 * `redecode`: how the batch's records are decoded again, so that upserts may release their
 * documents (ReloadableUpsert).
 */
export function planBatch(events: readonly ChangeEvent[], router: Router, redecode: Redecode): Plan {
  const steps: PlanStep[] = [];
  let run = new Map<string, SinkOp>();
  // Per document slot, every change of the run, when there is more than one.
  let changes = new Map<string, SinkOp[]>();
  let truncatable = new Set<string>();
  let skipped = 0;
  const flush = () => {
    if (run.size > 0) {
      const unfolded = new Map<SinkOp, readonly SinkOp[]>();
      for (const [slot, ops] of changes) unfolded.set(run.get(slot)!, ops);
      steps.push({ kind: 'write', ops: [...run.values()], unfolded, truncatable });
    }
    run = new Map();
    changes = new Map();
    truncatable = new Set();
  };
  for (const event of events) {
    if (event.kind === 'tombstone') {
      skipped++;
      continue;
    }
    const routes = router.routesFor(event.table);
    if (routes.length === 0) {
      skipped++;
      continue;
    }
    if (event.kind === 'truncate') {
      // The truncate mode is the table's: every target of it does the same.
      if (routes[0]!.truncate === 'ignore') {
        skipped++;
        continue;
      }
      flush();
      for (const route of routes) steps.push({ kind: 'truncate', target: route.target, event });
      continue;
    }
    // One operation per target: each coalesces and is position-guarded in its own slot.
    for (const route of routes) {
      const op = toOp(event, route, redecode);
      if (route.truncate === 'delete') truncatable.add(op.target);
      const slot = `${op.target}\u0000${op.id}`;
      const earlier = run.get(slot);
      if (earlier) {
        const all = changes.get(slot) ?? [earlier];
        all.push(op);
        changes.set(slot, all);
      }
      const next = earlier ? merge(earlier, op) : op;
      run.set(slot, next);
      // Superseded, or merged into a copy: written on their own only should the run's operation
      // fail for good, and then decoded again.
      if (earlier?.kind === 'upsert') earlier.release?.();
      if (next !== op && op.kind === 'upsert') op.release?.();
    }
  }
  flush();
  return { steps, skipped };
}
