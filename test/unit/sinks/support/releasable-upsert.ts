// An upsert that lets go of its document as src/pipeline/reloadable-upsert.ts does: read after
// release(), it is made again (counted), as that class decodes it again from its record.
import type { Document } from '../../../../src/router/document.js';
import type { OpOrigin, UpsertOp } from '../../../../src/sinks/sink.js';

export class ReleasableUpsert implements UpsertOp {
  readonly kind = 'upsert';
  readonly unchangedColumns: readonly string[] = [];
  /** How often the document was made again after a release. */
  remade = 0;
  releases = 0;
  private held: Document | null;

  constructor(
    readonly target: string,
    readonly id: string,
    readonly position: bigint,
    readonly event: OpOrigin,
    private readonly make: () => Document,
  ) {
    this.held = make();
  }

  get document(): Document {
    if (this.held === null) {
      this.remade++;
      this.held = this.make();
    }
    return this.held;
  }

  release(): void {
    this.releases++;
    this.held = null;
  }
}
