// An upsert whose document the sink may let go of once it holds what it sends, and which is
// decoded again from the event's record should it be read after that (a retry, a write planned
// again after a collision, a change written on its own after its coalesced write failed).
//
// Why: a batch's operations live from its fetch to its commit, several young-generation
// collections long, and each collection copies whatever they keep alive. The row images were most
// of what an event kept (see bench/results/tuning.md, twenty-third session); the bytes the sink
// sends live off the JS heap or as one string.
import type { DecimalMode } from '../config/tables.js';
import type { RecordCoordinates, RowChange } from '../decoder/types.js';
import { adoptAsDocument, type Document } from '../router/document.js';
import type { TableRoute } from '../router/router.js';
import type { OpOrigin, UpsertOp } from '../sinks/sink.js';

/**
 * Decodes a record of the batch in hand again: the same row change as the first time, since
 * decoding is pure. Throws if it is not one.
 */
export type Redecode = (record: RecordCoordinates) => RowChange;

export class ReloadableUpsert implements UpsertOp {
  readonly kind = 'upsert' as const;
  private held: Document | null;

  constructor(
    readonly target: string,
    readonly id: string,
    readonly position: bigint,
    readonly event: OpOrigin,
    readonly unchangedColumns: readonly string[],
    document: Document,
    private readonly route: TableRoute,
    private readonly redecode: Redecode,
  ) {
    this.held = document;
  }

  get decimal(): DecimalMode {
    return this.route.decimal;
  }

  get renames(): ReadonlyMap<string, string> | undefined {
    return this.route.rename ?? undefined;
  }

  get document(): Document {
    if (this.held !== null) return this.held;
    const { after } = this.redecode(this.event.record);
    if (after === null) {
      const { topic, partition, offset } = this.event.record;
      throw new Error(`record ${topic}/${partition}@${offset} decoded without its row the second time`);
    }
    return (this.held = adoptAsDocument(after, this.route));
  }

  release(): void {
    this.held = null;
  }
}
